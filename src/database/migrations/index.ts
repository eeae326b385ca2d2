import { InitialSchema1763900000000 } from './1763900000000-initial-schema.js';
import { LoginAudit1764000000000 } from './1764000000000-login-audit.js';
import { LinkTokens1764500000000 } from './1764500000000-link-tokens.js';

/** Listed explicitly: no glob, so the same list works from src (tests) and dist (app, CLI). */
export const migrations = [InitialSchema1763900000000, LoginAudit1764000000000, LinkTokens1764500000000];
