/**
 * class-transformer's `@Transform(trim)`: surrounding whitespace off a string, anything else left to the validators.
 */
export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
