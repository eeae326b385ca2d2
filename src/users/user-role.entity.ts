import { Column, Entity, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

/** A role an operator granted a user (`npm run admin -- grant`); it goes with the user (FK cascade). */
@Entity('user_roles')
export class UserRoleEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  role: string;

  @Column({ name: 'granted_at', type: 'bigint', transformer: millis })
  grantedAt: number;
}
