import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from "yaml";

/** A YAML file read with a real parser that keeps where every key and item is, for findings' lines. */
export class YamlFile {
  readonly file: string;
  /** The document as plain data (undefined when it is empty). */
  readonly data: unknown;
  /** Syntax errors, each with its line: what the service's own loader would refuse. */
  readonly errors: readonly { readonly line: number; readonly message: string }[];
  readonly #contents: Node | null;
  readonly #lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false });
    this.#contents = doc.contents;
    // An error's position can sit on the blank or comment lines before the node it is about.
    const lines = text.split("\n");
    const firstContent = (line: number) => {
      let at = line;
      while (at < lines.length && /^\s*(#.*)?$/.test(lines[at - 1] ?? "")) at++;
      return at;
    };
    this.errors = doc.errors.map((error) => ({
      line: firstContent(this.#lineAt(error.pos[0])),
      message: error.message.split("\n")[0] ?? error.message,
    }));
    this.data = this.errors.length === 0 ? (doc.toJS() as unknown) : undefined;
  }

  #lineAt(offset: number): number {
    return this.#lines.linePos(offset).line;
  }

  /**
   * The line of the deepest node that exists along `path` (map keys and sequence indexes): the key's
   * line for a map entry, the item's for a sequence item. Undefined when not even the first step exists.
   */
  lineOf(path: readonly (string | number)[]): number | undefined {
    let node: unknown = this.#contents;
    let line: number | undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
        if (pair === undefined) break;
        const key = pair.key as Node;
        if (key.range !== undefined && key.range !== null) line = this.#lineAt(key.range[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number") {
        const item = node.items[step] as Node | undefined;
        if (item === undefined) break;
        if (item.range !== undefined && item.range !== null) line = this.#lineAt(item.range[0]);
        node = item;
      } else {
        break;
      }
    }
    return line;
  }

  /** The line of the first scalar whose text contains `text` (a `${VAR}` reference, say). */
  lineOfScalarContaining(text: string): number | undefined {
    if (this.#contents === null) return undefined;
    let found: number | undefined;
    visit(this.#contents, {
      Scalar: (_key, node) => {
        const start = node.range?.[0];
        if (typeof node.value === "string" && node.value.includes(text) && start !== undefined) {
          found = this.#lineAt(start);
          return visit.BREAK;
        }
        return undefined;
      },
    });
    return found;
  }
}

/**
 * Where a key path is defined among several YAML files merged in order (compose's -f files): the file
 * that has the most of the path, the later one on a tie, since it overrides the earlier.
 */
export function whereIn(
  files: readonly YamlFile[],
  path: readonly (string | number)[],
): { readonly file: string; readonly line: number } | undefined {
  let best: { file: string; line: number; depth: number } | undefined;
  for (const yaml of files) {
    const depth = depthReached(yaml.data, path);
    const line = depth === 0 ? undefined : yaml.lineOf(path.slice(0, depth));
    if (line !== undefined && (best === undefined || depth >= best.depth))
      best = { file: yaml.file, line, depth };
  }
  return best === undefined ? undefined : { file: best.file, line: best.line };
}

/** How many steps of `path` exist in `data`. */
function depthReached(data: unknown, path: readonly (string | number)[]): number {
  let value = data;
  for (const [depth, step] of path.entries()) {
    if (typeof value !== "object" || value === null) return depth;
    value = (value as Record<string | number, unknown>)[step];
    if (value === undefined) return depth;
  }
  return path.length;
}
