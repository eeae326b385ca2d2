import { ApiProperty } from '@nestjs/swagger';
import { DEVICE_NAME_MAX, IsDeviceName } from './device-name.rules.js';

export class RenameSessionDto {
  @ApiProperty({ example: 'Work laptop', minLength: 1, maxLength: DEVICE_NAME_MAX, description: 'Trimmed' })
  @IsDeviceName()
  deviceName: string;
}
