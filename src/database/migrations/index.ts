import { InitialSchema1763900000000 } from './1763900000000-initial-schema.js';
import { LoginAudit1764000000000 } from './1764000000000-login-audit.js';
import { ExactEmails1764100000000 } from './1764100000000-exact-emails.js';
import { UserRoles1764200000000 } from './1764200000000-user-roles.js';
import { LinkTokens1764500000000 } from './1764500000000-link-tokens.js';
import { HealthHeartbeat1765000000000 } from './1765000000000-health-heartbeat.js';
import { CredentialVersion1765100000000 } from './1765100000000-credential-version.js';
import { SessionAuthenticatedAt1765200000000 } from './1765200000000-session-authenticated-at.js';
import { UsersDisabledAt1765200100000 } from './1765200100000-users-disabled-at.js';
import { SessionLastAddress1765200200000 } from './1765200200000-session-last-address.js';
import { SigningKeys1765300000000 } from './1765300000000-signing-keys.js';
import { Outbox1765400000000 } from './1765400000000-outbox.js';

/** Listed explicitly: no glob, so the same list works from src (tests) and dist (app, CLI). */
export const migrations = [
  InitialSchema1763900000000,
  LoginAudit1764000000000,
  ExactEmails1764100000000,
  UserRoles1764200000000,
  LinkTokens1764500000000,
  HealthHeartbeat1765000000000,
  CredentialVersion1765100000000,
  SessionAuthenticatedAt1765200000000,
  UsersDisabledAt1765200100000,
  SessionLastAddress1765200200000,
  SigningKeys1765300000000,
  Outbox1765400000000,
];
