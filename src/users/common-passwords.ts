import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * zxcvbn-ts's common-password list (MIT, @zxcvbn-ts/language-common): 49,233 passwords from
 * breach corpora, most frequent first, all lower case. Only entries of 8+ characters are kept
 * (17,950): shorter ones are refused by the length rule anyway.
 */
export const COMMON_PASSWORD_SOURCE = {
  package: '@zxcvbn-ts/language-common',
  license: 'MIT',
  entries: dictionary['passwords-common'].length,
};

let common: Set<string> | undefined;

/** Case-insensitive after NFKC, so "PassWord1" and a full-width "ｐａｓｓｗｏｒｄ1" are refused too (ASVS 6.2.4). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].filter((p) => p.length >= 8));
  return common.has(password.normalize('NFKC').toLowerCase());
}
