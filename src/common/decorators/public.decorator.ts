import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';
/** Opens a route to unauthenticated callers; every other route needs a valid session. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
