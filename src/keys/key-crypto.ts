import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';

/** The asymmetric algorithms of JWT_ALGORITHM (HS256 keeps JWT_SECRET and no key rows). */
export type AsymmetricAlgorithm = 'ES256' | 'EdDSA';

/** A public JWK as the JWKS publishes it: never a private part (`d`). */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
}

export interface GeneratedKey {
  kid: string;
  publicJwk: PublicJwk;
  privateKey: KeyObject;
}

/** A fresh key pair; its kid is the RFC 7638 thumbprint of the public key. */
export function generateKey(alg: AsymmetricAlgorithm): GeneratedKey {
  const { publicKey, privateKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const publicJwk = publicPart(publicKey.export({ format: 'jwk' }));
  return { kid: thumbprint(publicJwk), publicJwk, privateKey };
}

function publicPart(jwk: JsonWebKey): PublicJwk {
  const { kty, crv, x, y } = jwk as Record<string, string>;
  return y === undefined ? { kty, crv, x } : { kty, crv, x, y };
}

/** RFC 7638: SHA-256 over the required members in lexical order, base64url. */
export function thumbprint(jwk: PublicJwk): string {
  const members = jwk.y === undefined ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { ...jwk };
  const ordered = JSON.stringify(members, Object.keys(members).sort());
  return createHash('sha256').update(ordered).digest('base64url');
}

export function publicKeyOf(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

const VERSION = 'v1';

/**
 * The private key at rest: PKCS#8 DER under AES-256-GCM (a fresh 96-bit nonce per key), the
 * kid as associated data so a ciphertext copied onto another row does not decrypt.
 */
export function encryptPrivateKey(key: KeyObject, kid: string, encryptionKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const plain = key.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Throws when the text was not made under this key (JWT_SECRET changed) or was altered. */
export function decryptPrivateKey(text: string, kid: string, encryptionKey: Buffer): KeyObject {
  const [version, iv, ciphertext, tag] = text.split('.');
  if (version !== VERSION || !iv || !ciphertext || !tag) throw new Error('unknown private key format');
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * A compact JWS (RFC 7515) over a JSON payload, signed synchronously with node:crypto: ECDSA
 * signatures in the JOSE form (r || s, RFC 7518 3.4), Ed25519 as is (RFC 8037).
 */
export function signCompact(
  header: { alg: AsymmetricAlgorithm; kid: string; typ: string },
  payload: object,
  key: KeyObject,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature =
    header.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}
