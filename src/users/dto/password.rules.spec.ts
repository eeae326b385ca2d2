import { validateSync } from 'class-validator';
import { isCommonPassword, COMMON_PASSWORD_SOURCE } from '../common-passwords.js';
import { IsPassword, IsPresentedPassword } from './password.rules.js';

class NewPassword {
  @IsPassword()
  password: unknown;
}
class Presented {
  @IsPresentedPassword()
  password: unknown;
}
const errors = (cls: new () => { password: unknown }, password: unknown) => {
  const o = Object.assign(new cls(), { password });
  return validateSync(o).flatMap((e) => Object.keys(e.constraints ?? {}));
};

describe('password rules (NIST SP 800-63B)', () => {
  it('uses a common-password list well beyond the top 3,000', () => {
    expect(COMMON_PASSWORD_SOURCE).toEqual({
      package: '@zxcvbn-ts/language-common',
      license: 'MIT',
      entries: expect.any(Number),
    });
    expect(COMMON_PASSWORD_SOURCE.entries).toBeGreaterThan(3000);
  });

  it.each(['password', 'PASSWORD', 'Password1', 'iloveyou', 'qwertyuiop', 'ｐａｓｓｗｏｒｄ'])(
    'knows %j is common (case-insensitive, after NFKC)',
    (p) => {
      expect(isCommonPassword(p)).toBe(true);
    },
  );

  it.each(['correct horse battery staple', 'Zp4!vQ9#mW2', 'ein langes deutsches Passwort'])('does not flag %j', (p) => {
    expect(isCommonPassword(p)).toBe(false);
  });

  it.each([
    ['8 characters', 'kq8vz3xw'],
    ['128 characters', 'k'.repeat(127) + 'q'],
    ['Unicode letters', 'пароль-очень-длинный'],
    ['128 emoji (exactly 512 bytes)', '🔑'.repeat(128)],
    ['spaces and symbols, no composition rules', 'just lower case words here'],
  ])('accepts %s', (_, p) => {
    expect(errors(NewPassword, p)).toEqual([]);
  });

  it.each([
    ['7 characters', 'kq8vz3x', 'minLength'],
    ['129 characters', 'k'.repeat(129), 'maxLength'],
    ['129 emoji', '🔑'.repeat(129), 'maxLength'],
    ['100 U+FDFA (NFKC expands to 1,800+ bytes)', '\ufdfa'.repeat(100), 'maxPasswordBytes'],
    ['a common password', 'password1', 'notCommonPassword'],
    ['a number', 12345678, 'isString'],
  ])('refuses %s', (_, p, rule) => {
    expect(errors(NewPassword, p)).toContain(rule);
  });

  it('only bounds a presented password: short and common ones still reach the hash check', () => {
    expect(errors(Presented, 'pw')).toEqual([]);
    expect(errors(Presented, 'password')).toEqual([]);
    expect(errors(Presented, '\ufdfa'.repeat(100))).toContain('maxPasswordBytes');
    expect(errors(Presented, '')).toContain('minLength');
  });
});
