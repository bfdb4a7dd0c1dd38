import { describe, expect, it } from "vitest";
import { numericEnvValues, parseEnvFile } from "./env-file.ts";

describe("parseEnvFile", () => {
  it("keeps names, lines and whether a real value is set, never the values", () => {
    const vars = parseEnvFile(
      "# comment\nBOT_TOKEN=\nexport API_ID=12345\nPASSWORD=changeme\nURL='<your url>'\nQUOTED=\"a b\" # note\nnot a line\n",
    );
    expect(vars).toEqual([
      { name: "BOT_TOKEN", line: 2, hasValue: false },
      { name: "API_ID", line: 3, hasValue: true },
      { name: "PASSWORD", line: 4, hasValue: false },
      { name: "URL", line: 5, hasValue: false },
      { name: "QUOTED", line: 6, hasValue: true },
    ]);
    expect(JSON.stringify(vars)).not.toContain("12345");
  });
});

it("reads the numbers an env file sets (ports), and nothing else", () => {
  const text = 'WEB_PORT=8081\nexport API_PORT="8000" # the backend\nSECRET=hunter2\nEMPTY=\nMIXED=80a\n';
  expect(numericEnvValues(text)).toEqual(
    new Map([
      ["WEB_PORT", "8081"],
      ["API_PORT", "8000"],
    ]),
  );
});
