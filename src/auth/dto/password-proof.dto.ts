import { IsPresentedPassword } from '../../users/dto/password.rules.js';

/** The account's password, presented as proof (POST /v1/auth/reauthenticate, DELETE /v1/users/me). */
export class PasswordProofDto {
  @IsPresentedPassword()
  password: string;
}
