import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsUserEmail } from './email.rules.js';

class Body {
  @IsUserEmail()
  email: unknown;
}
const errors = (email: unknown) =>
  validateSync(plainToInstance(Body, { email })).flatMap((e) => Object.keys(e.constraints ?? {}));

describe('IsUserEmail', () => {
  it('accepts an address, and refuses what is none with the usual rule name', () => {
    expect(errors('Ada@Example.com')).toEqual([]);
    expect(errors('not an address')).toEqual(['isEmail']);
    expect(errors(42)).toEqual(expect.arrayContaining(['isString', 'isEmail']));
  });

  // validator's isEmail throws a URIError on a lone surrogate: that was a 500 on login, register and forgot.
  it.each(['\ud83d', 'a\udc00@example.com', '\u0000\u202e\ud83d'])('refuses %j instead of throwing', (email) => {
    expect(() => errors(email)).not.toThrow();
    expect(errors(email)).toContain('isEmail');
  });
});
