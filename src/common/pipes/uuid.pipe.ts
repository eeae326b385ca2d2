import { Injectable, type PipeTransform } from '@nestjs/common';
import { apiError } from '../api-error.js';

/** RFC 9562 layout (versions 1–8, the variant bits), in either letter case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * An id from the path, in the one form every layer past the edge sees. The API accepts a UUID
 * in any letter case (SPEC "Identifiers and errors"), but the layers disagree on case: MySQL's
 * collation compares ids case-insensitively, SQLite and the session cache's keys do not, so an
 * id that reached them in upper case matched a row yet evicted nothing. Lower-casing here, once,
 * means no query, cache key or event ever sees another spelling. The refusal never echoes the
 * value.
 */
@Injectable()
export class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw apiError(400, 'validation_failed', 'id must be a UUID');
    return value.toLowerCase();
  }
}

export const uuidPipe = new UuidPipe();
