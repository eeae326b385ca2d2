import { IsPassword, IsPresentedPassword } from './password.rules.js';

export class ChangePasswordDto {
  @IsPresentedPassword()
  currentPassword: string;

  @IsPassword('The new password: 8 to 128 characters (at most 512 UTF-8 bytes), not a commonly used one')
  newPassword: string;
}
