/** Collects the JSON lines pino writes to a destination stream. */
export function captureLogs() {
  const text: string[] = [];
  return {
    stream: { write: (chunk: string) => void text.push(chunk) },
    text: () => text.join(''),
    lines: () =>
      text
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
