/**
 * `items` padded to the next power of two by repeating the last one. A statement with an
 * `IN (…)` list then takes one of a few shapes, so the driver prepares (and the server keeps) a
 * handful of statements rather than one per length; a repeated item changes no result of `IN`.
 */
export function padToPowerOfTwo<T>(items: readonly T[]): T[] {
  let n = 1;
  while (n < items.length) n *= 2;
  return n === items.length ? [...items] : [...items, ...Array<T>(n - items.length).fill(items[items.length - 1])];
}
