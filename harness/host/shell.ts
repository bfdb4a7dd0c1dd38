/** Quotes a string as one word for a POSIX shell (the host's bash, the remote shell ssh hands commands to). */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
