import { randomBytes, randomUUID } from 'node:crypto';

/** The one place randomness comes from. */
export const newId = (): string => randomUUID();
export const randomSecret = (bytes = 32): Buffer => randomBytes(bytes);
