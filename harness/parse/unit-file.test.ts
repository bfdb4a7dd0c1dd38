import { describe, expect, it } from "vitest";
import { commandWords, splitWords, timeSpanSeconds, unitBoolean, UnitFile } from "./unit-file.ts";

const unit = (text: string, dropIns: string[] = []) =>
  new UnitFile("x.service", [
    { file: "x.service", text },
    ...dropIns.map((t, i) => ({ file: `x.service.d/${i}.conf`, text: t })),
  ]);

describe("UnitFile", () => {
  it("reads sections and assignments with their lines, skipping comments of both kinds", () => {
    const parsed = unit(
      "# a comment\n[Unit]\n; another\nDescription = The  backend \n\n[Service]\nUser=root\n",
    );
    expect(parsed.get("Unit", "Description")).toMatchObject({
      value: "The  backend",
      line: 4,
      file: "x.service",
    });
    expect(parsed.get("Service", "User")?.line).toBe(7);
    expect([...parsed.sections]).toEqual(["Unit", "Service"]);
    expect(parsed.stem).toBe("x");
    expect(parsed.type).toBe("service");
  });

  it("joins backslash continuations, with comment lines inside them skipped, at the first line", () => {
    const parsed = unit("[Service]\nExecStart=/bin/echo a \\\n# inside\n  b \\\n  c\nUser=x\n");
    expect(parsed.get("Service", "ExecStart")).toMatchObject({ value: "/bin/echo a  b  c", line: 2 });
    expect(parsed.get("Service", "User")?.line).toBe(6);
  });

  it("accumulates list settings, resets them on an empty assignment, and applies drop-ins after the file", () => {
    const parsed = unit("[Unit]\nAfter=a.service b.service\nAfter=c.service\n", [
      "[Unit]\nAfter=\nAfter=d.service\n",
    ]);
    expect(parsed.items("Unit", "After").map((i) => i.item)).toEqual(["d.service"]);
    expect(parsed.items("Unit", "After")[0]?.at.file).toBe("x.service.d/0.conf");
    const single = unit("[Service]\nUser=a\n", ["[Service]\nUser=b\n"]);
    expect(single.get("Service", "User")?.value).toBe("b");
  });

  it("keeps the lines systemd ignores as problems", () => {
    const parsed = unit("User=early\n[Service\n[Service]\nno equals sign\n");
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [1, "assignment outside of a section"],
      [2, "invalid section header [Service"],
      [4, `missing '=' in "no equals sign"`],
    ]);
  });

  it("reads Environment= as systemd quotes it", () => {
    const parsed = unit('[Service]\nEnvironment="PATH=/v/bin" A=1\nEnvironment=B="two words"\n');
    expect([...parsed.environment()].map(([k, v]) => [k, v.value])).toEqual([
      ["PATH", "/v/bin"],
      ["A", "1"],
      ["B", "two words"],
    ]);
  });
});

describe("systemd value syntax", () => {
  it("splits words with quotes and escapes, and drops ExecStart prefixes", () => {
    expect(splitWords(`a "b c" 'd e' f\\ g`)).toEqual(["a", "b c", "d e", "f g"]);
    expect(splitWords('""')).toEqual([""]);
    expect(commandWords("-@/usr/bin/python -m uvicorn")).toEqual(["/usr/bin/python", "-m", "uvicorn"]);
  });

  it("parses booleans and time spans, and says when a value is neither", () => {
    expect([unitBoolean("yes"), unitBoolean("Off"), unitBoolean("strict")]).toEqual([true, false, undefined]);
    expect([
      timeSpanSeconds("10"),
      timeSpanSeconds("2h"),
      timeSpanSeconds("1h 30min"),
      timeSpanSeconds("5 weeks"),
    ]).toEqual([10, 7200, 5400, 3024000]);
    expect(timeSpanSeconds("soon")).toBeUndefined();
    expect(timeSpanSeconds("3 fortnights")).toBeUndefined();
  });
});
