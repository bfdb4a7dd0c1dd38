import { z } from "zod";
import {
  allFindings,
  checkStatus,
  countBySeverity,
  FindingSchema,
  SEVERITIES,
  type CheckOutcome,
} from "./finding.ts";

/** The version of the JSON document; a change that breaks readers gets a new one. */
export const FINDINGS_FORMAT = "sattva-chaos.findings/1";

export const LookedForSchema = z
  .object({
    what: z.string().describe("what the runbook's layout needs, e.g. `the backend's systemd unit`"),
    path: z.string().describe("where it was looked for, relative to the checkout"),
    found: z.string().optional().describe("where it was found, when not there"),
  })
  .strict();
export type LookedFor = z.infer<typeof LookedForSchema>;

/** The document `audit --json` prints and `--report` writes as findings.json (schema: findings.schema.json). */
export const FindingsDocumentSchema = z
  .object({
    format: z.literal(FINDINGS_FORMAT),
    stack: z.string().describe("the checkout audited (absolute path)"),
    profile: z
      .string()
      .nullable()
      .describe("the profile read (sattva-chaos.json), or null for the runbook's layout"),
    startedAt: z.string().describe("ISO time the audit started"),
    durationMs: z.number().describe("how long the audit took"),
    counts: z.object(
      Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<
        (typeof SEVERITIES)[number],
        z.ZodNumber
      >,
    ),
    checks: z
      .array(
        z
          .object({
            id: z.string(),
            title: z.string(),
            status: z.enum(["passed", "failed", "skipped"]).describe("failed: it found a blocker"),
            skipped: z.string().optional().describe("why it could not run"),
            findings: z.number().int(),
          })
          .strict(),
      )
      .describe("every check run, one JUnit test case each"),
    lookedFor: z.array(LookedForSchema).describe("the files the audit looked for, and where it found them"),
    findings: z.array(FindingSchema).describe("blockers first, then by file and line"),
  })
  .strict();
export type FindingsDocument = z.infer<typeof FindingsDocumentSchema>;

export interface FindingsDocumentInput {
  readonly stack: string;
  readonly profile: string | undefined;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcomes: readonly CheckOutcome[];
  readonly lookedFor: readonly LookedFor[];
}

export function findingsDocument(input: FindingsDocumentInput): FindingsDocument {
  const findings = allFindings(input.outcomes);
  return {
    format: FINDINGS_FORMAT,
    stack: input.stack,
    profile: input.profile ?? null,
    startedAt: input.startedAt.toISOString(),
    durationMs: Math.round(input.durationMs),
    counts: countBySeverity(findings),
    checks: input.outcomes.map((outcome) => ({
      id: outcome.check.id,
      title: outcome.check.title,
      status: checkStatus(outcome),
      ...(outcome.skipped === undefined ? {} : { skipped: outcome.skipped }),
      findings: outcome.findings.length,
    })),
    lookedFor: [...input.lookedFor],
    findings,
  };
}
