/** The images a Dockerfile builds from (`FROM x AS y` lines), less its own stages. */
export function dockerfileBases(text: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (match === null) continue;
    const image = match[1] ?? "";
    if (!stages.has(image.toLowerCase())) bases.push(image);
    if (match[2] !== undefined) stages.add(match[2].toLowerCase());
  }
  return bases;
}
