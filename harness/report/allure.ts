import * as allure from "allure-js-commons";

/**
 * allure-vitest's setup installs a test runtime in vitest's workers. Elsewhere (the dead-man test's
 * harness process, benchmarks) there is no test to report to, and allure's fallback would print a
 * warning on stdout for every call.
 */
const inTest = () => "allureTestRuntime" in globalThis;

/** A phase of the current test as an allure step: the report shows where a run stopped. */
export async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  return inTest() ? await allure.step(name, body) : await body();
}

/** Text attached to the current test's allure result (or its current step). */
export async function attachText(name: string, text: string): Promise<void> {
  if (inTest()) await allure.attachment(name, text, "text/plain");
}
