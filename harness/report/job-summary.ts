import { appendFile, readFile } from "node:fs/promises";

/** Adds a Markdown summary to the CI job's page when there is one (GitHub Actions' $GITHUB_STEP_SUMMARY). */
export async function addToJobSummary(markdownFile: string): Promise<void> {
  const jobSummary = process.env["GITHUB_STEP_SUMMARY"];
  if (jobSummary !== undefined && jobSummary !== "")
    await appendFile(jobSummary, await readFile(markdownFile, "utf8"));
}
