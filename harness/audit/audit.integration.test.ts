// The static audit against the bundled stack, the drifted stack (with and without the profile init
// writes for it) and copies broken for each validator: the exact findings, by severity, check, file
// and line. Needs Docker (the validators run in the harness's images), no host.
import { chmod, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { FindingsDocumentSchema, type FindingsDocument } from "../findings/json.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { findChromium, screenshotPage } from "../report/chromium.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { writeRenamedStack } from "../testing/renamed-stack.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));
const FLAT_STACK = fileURLToPath(new URL("../../fixtures/stacks/flat/", import.meta.url));

/** The runbook's own contradictions: every audit lists them. */
const RUNBOOK_CONTRADICTIONS = [
  "info runbook.cron DEPLOYMENT_ARCHITECTURE.md:24 (runbook)",
  "info runbook.backend-in-docker DEPLOYMENT_ARCHITECTURE.md:70 (runbook)",
  "info runbook.ports-mixed DEPLOYMENT_ARCHITECTURE.md:72 (runbook)",
  "info runbook.no-update-unit DEPLOYMENT_ARCHITECTURE.md:85 (runbook)",
  "info runbook.no-cd DEPLOYMENT_ARCHITECTURE.md:207 (runbook)",
  "info runbook.sleep-10 DEPLOYMENT_ARCHITECTURE.md:226 (runbook)",
  "info runbook.never-enabled DEPLOYMENT_ARCHITECTURE.md:229 (runbook)",
  "info runbook.yt-dlp-in-backend-venv DEPLOYMENT_ARCHITECTURE.md:279 (runbook)",
];

/** The drifted stack's own runbook (docs/) corrected the service table, and nothing else. */
const DRIFTED_RUNBOOK_CONTRADICTIONS = RUNBOOK_CONTRADICTIONS.filter(
  (f) => !f.includes("runbook.backend-in-docker"),
).map((f) => f.replace(" DEPLOYMENT_ARCHITECTURE.md:", " docs/DEPLOYMENT_ARCHITECTURE.md:"));

/** The bundled stack is the runbook's deployment: what it has is the runbook's, or offline's. */
const ON_BUNDLED = [
  "info compose.backend docker-compose.yml:41 (runbook)",
  "info compose.images docker-compose.yml:64",
  "info nginx.proxy frontend/nginx.conf:16 (runbook)",
  "info nginx.proxy frontend/nginx.conf:16 (runbook)",
  "info script.update scripts/yt-dlp-update.sh:7 (runbook)",
  "info script.update scripts/yt-dlp-update.sh:10 (runbook)",
  "info validate.security systemd/sattva-backend.service (runbook)",
  "info unit.dependencies systemd/sattva-backend.service:4 (runbook)",
  "info unit.dependencies systemd/sattva-backend.service:4 (runbook)",
  "info unit.environment systemd/sattva-backend.service:10 (runbook)",
  "info unit.exec systemd/sattva-backend.service:11 (runbook)",
  "info validate.security systemd/sattva-streamer.service (runbook)",
  "info unit.environment systemd/sattva-streamer.service:10 (runbook)",
  "info validate.security systemd/yt-dlp-update.service (runbook)",
];

/** Every hazard planted in the drifted stack, with its file and line (no profile: users not declared). */
const HAZARDS_ON_DRIFTED = [
  "warning compose.env-files deploy/docker-compose.yml:7",
  "blocker compose.networks deploy/docker-compose.yml:16",
  "blocker compose.public-ports deploy/docker-compose.yml:21",
  "blocker compose.runbook-services deploy/docker-compose.yml:31",
  "blocker nginx.proxy deploy/nginx/default.conf:13",
  "blocker nginx.proxy deploy/nginx/default.conf:13",
  "blocker alertmanager.receivers monitoring/alertmanager/config.yml:2",
  "blocker alertmanager.receivers monitoring/alertmanager/config.yml:12",
  "blocker prometheus.targets monitoring/prometheus/prometheus.yml:16",
  "blocker prometheus.targets monitoring/prometheus/prometheus.yml:19",
  "blocker unit.dependencies ops/systemd/sattva-backend.service:4",
  "warning unit.environment ops/systemd/sattva-backend.service:10",
  "blocker unit.exec ops/systemd/sattva-backend.service:12",
  "blocker unit.sandbox ops/systemd/sattva-streamer.service:13",
  "blocker unit.user ops/systemd/ytdlp-refresh.service:8",
  "blocker unit.sandbox ops/systemd/ytdlp-refresh.service:9",
  "blocker script.update ops/update-ytdlp.sh:1",
  "blocker script.update ops/update-ytdlp.sh:6",
  "warning compose.runbook-cwd deploy/docker-compose.yml",
  "warning compose.restart deploy/docker-compose.yml:5",
  "warning compose.variables deploy/docker-compose.yml:10",
  "warning compose.dev-flags deploy/docker-compose.yml:37",
  "warning compose.public-ports deploy/docker-compose.yml:39",
  "warning compose.undocumented-services deploy/docker-compose.yml:42",
  "warning compose.undocumented-services deploy/docker-compose.yml:46",
  "warning compose.images deploy/docker-compose.yml:47",
  "warning compose.public-ports deploy/docker-compose.yml:49",
  "warning prometheus.rules monitoring/prometheus/rules/alerts.yml",
  "warning prometheus.rules monitoring/prometheus/rules/alerts.yml",
  "warning prometheus.rules monitoring/prometheus/rules/alerts.yml:4",
  "warning unit.restart ops/systemd/sattva-backend.service",
  "warning unit.user ops/systemd/sattva-backend.service:8",
  "warning unit.exec ops/systemd/sattva-backend.service:12",
  "warning unit.install ops/systemd/sattva-streamer.service",
  "warning validate.systemd ops/systemd/sattva-streamer.service:12",
  "warning unit.sandbox ops/systemd/sattva-streamer.service:14",
  "warning unit.user ops/systemd/ytdlp-refresh.service:8",
  "warning timer.schedule ops/systemd/ytdlp-refresh.timer:5",
  "warning timer.schedule ops/systemd/ytdlp-refresh.timer:6",
  "warning validate.shellcheck ops/update-ytdlp.sh:3",
  "warning script.update ops/update-ytdlp.sh:5",
  "info compose.runbook-services deploy/docker-compose.yml:4",
  "info compose.backend deploy/docker-compose.yml:34 (runbook)",
  "info nginx.proxy deploy/nginx/default.conf:13 (runbook)",
  "info validate.security ops/systemd/sattva-backend.service",
  "info unit.dependencies ops/systemd/sattva-backend.service:3 (runbook)",
  "info unit.dependencies ops/systemd/sattva-backend.service:3 (runbook)",
  "info validate.security ops/systemd/sattva-streamer.service",
  "info unit.environment ops/systemd/sattva-streamer.service:9 (runbook)",
  "info validate.security ops/systemd/ytdlp-refresh.service",
  "info timer.schedule ops/systemd/ytdlp-refresh.timer",
  "info script.update ops/update-ytdlp.sh:6 (runbook)",
];

/** Where the drifted stack names or places things differently from the runbook: what a profile explains. */
const LAYOUT_ON_DRIFTED = [
  "warning layout.inferred deploy/docker-compose.yml",
  "warning layout.inferred deploy/docker-compose.yml",
  "warning layout.inferred deploy/docker-compose.yml",
  "warning layout.inferred deploy/docker-compose.yml:5",
  "warning layout.inferred deploy/docker-compose.yml:34",
  "warning layout.inferred deploy/nginx/default.conf",
  "warning layout.inferred monitoring/alertmanager/config.yml",
  "warning layout.inferred monitoring/prometheus/prometheus.yml",
  "warning layout.inferred monitoring/prometheus/prometheus.yml",
  "warning layout.inferred monitoring/prometheus/prometheus.yml",
  "warning layout.inferred monitoring/prometheus/rules/alerts.yml",
  "warning layout.inferred ops/systemd/sattva-backend.service",
  "warning layout.inferred ops/systemd/sattva-backend.service",
  "warning layout.inferred ops/systemd/ytdlp-refresh.service",
  "warning layout.inferred ops/systemd/ytdlp-refresh.timer",
  "warning layout.inferred ops/update-ytdlp.sh",
];

/** Another team's layout (fixtures/stacks/flat): every part found without a profile, each hazard named. */
const ON_FLAT = [
  "blocker compose.public-ports compose.yaml:7",
  "blocker compose.public-ports docker-compose.override.yml:3",
  "blocker validate.amtool mon/am.yml",
  "blocker prometheus.targets mon/prometheus.yml:7",
  "blocker script.update update.sh:1",

  "warning layout.inferred compose.yaml",
  // compose.project: the file has no `name:`, so compose names the project after its folder, sattva
  // (the layout's finding, read without a profile, rather than compose.names).
  "warning layout.inferred compose.yaml",
  "warning layout.inferred deploy/site.conf",
  "warning layout.inferred mon/am.yml",
  "warning alertmanager.receivers mon/am.yml:3",
  "warning layout.inferred mon/prometheus.yml",
  "warning prometheus.targets mon/prometheus.yml:5",
  "warning layout.inferred mon/rules.yml",
  "warning prometheus.rules mon/rules.yml",
  "warning layout.inferred sattva-backend.service",
  "warning layout.inferred sattva-backend.service",
  "warning layout.inferred sattva-backend.service",
  "warning layout.inferred update.sh",
  "warning validate.shellcheck update.sh:1",
  "warning timer.schedule yt-dlp-update.timer:2",
  "warning timer.schedule yt-dlp-update.timer:2",
  "info layout.inferred compose.yaml",
  "info compose.public-ports compose.yaml:16",
  "info compose.public-ports compose.yaml:16",
  "info nginx.proxy deploy/site.conf:7 (runbook)",
  "info nginx.proxy deploy/site.conf:7 (runbook)",
  "info compose.runbook-services docker-compose.override.yml:1",
  "info validate.security sattva-backend.service",
  "info unit.exec sattva-backend.service:9 (runbook)",
  "info validate.security sattva-streamer.service (runbook)",
  "info script.update update.sh:4 (runbook)",
  "info validate.security yt-dlp-update.service (runbook)",
  // No runbook in the checkout: judged by the reference, and said so.
  "info layout.runbook DEPLOYMENT_ARCHITECTURE.md",
];

/** A finding as the tests name it: severity, check, where, and whether it is the runbook's own. */
const named = (document: FindingsDocument): string[] =>
  document.findings
    .map(
      (f) =>
        `${f.severity} ${f.id} ${f.file === undefined ? f.subject : `${f.file}${f.line === undefined ? "" : `:${f.line}`}`}${f.kind === "runbook" ? " (runbook)" : ""}`,
    )
    .sort();

async function auditJson(
  stack: string,
): Promise<{ exitCode: number; document: FindingsDocument; stderr: string }> {
  const result = await sattvaChaos(["audit", "--stack", stack, "--json"], {}, { timeoutMs: 10 * 60_000 });
  return {
    exitCode: result.exitCode,
    document: FindingsDocumentSchema.parse(JSON.parse(result.stdout)),
    stderr: result.stderr,
  };
}

/** A copy of the bundled stack in `dir`, and an edit of one of its files that must apply. */
async function bundledCopy(dir: string, name: string) {
  const stack = path.join(dir, name);
  await cp(BUNDLED_STACK, stack, { recursive: true });
  const edit = async (file: string, from: string, to: string) => {
    const text = await readFile(path.join(stack, file), "utf8");
    expect(text).toContain(from);
    await writeFile(path.join(stack, file), text.replace(from, to));
  };
  return { stack, edit };
}

describe("sattva-chaos audit", () => {
  it("passes the bundled stack: no blocker, only the runbook's contradictions and what offline cannot run", async () => {
    const { exitCode, document } = await auditJson(BUNDLED_STACK);
    expect(named(document)).toEqual([...ON_BUNDLED, ...RUNBOOK_CONTRADICTIONS].sort());
    expect(exitCode).toBe(ExitCode.passed);
    for (const finding of document.findings.filter((f) => f.kind === "runbook"))
      expect(finding.runbook.section.length).toBeGreaterThan(0);
    expect(document.checks.every((c) => c.status !== "failed")).toBe(true);
  });

  it("names every planted drift of the drifted stack with its file and line, and fails it", async () => {
    const { exitCode, document, stderr } = await auditJson(DRIFTED_STACK);
    expect(named(document)).toEqual(
      [...HAZARDS_ON_DRIFTED, ...LAYOUT_ON_DRIFTED, ...DRIFTED_RUNBOOK_CONTRADICTIONS].sort(),
    );
    expect(exitCode).toBe(ExitCode.failed);
    // Without a profile the audit says which files it looked for at the runbook's places.
    expect(stderr).toContain(
      "looked for the backend unit sattva-backend.service at systemd/sattva-backend.service",
    );
    // A checkout's env values never reach a finding (the example's placeholder password is one).
    expect(JSON.stringify(document)).not.toContain("changeme");
  });

  it("reads another layout without a profile: units at the root, another stack root, compose.yaml and its override", async () => {
    const { exitCode, document, stderr } = await auditJson(FLAT_STACK);
    expect(named(document)).toEqual([...ON_FLAT, ...RUNBOOK_CONTRADICTIONS].sort());
    expect(exitCode).toBe(ExitCode.failed);
    expect(stderr).toContain(
      "looked for the backend unit sattva-backend.service at systemd/sattva-backend.service: found at sattva-backend.service",
    );
    expect(document.findings.find((f) => f.id === "validate.shellcheck")?.observed).toMatch(
      /SC1017 .* \(also lines 2, 3, 4\)$/,
    );
  });

  it("with the profile init writes, reports no layout difference and still every hazard", async () => {
    await withTempDir("audit-init", async (dir) => {
      const stack = path.join(dir, "drifted");
      await cp(DRIFTED_STACK, stack, { recursive: true });
      const init = await sattvaChaos(["init", "--stack", stack]);
      expect(init.exitCode, init.stderr).toBe(ExitCode.passed);
      const profile = JSON.parse(await readFile(path.join(stack, "sattva-chaos.json"), "utf8")) as {
        guessed: Record<string, string>;
      };
      expect(Object.keys(profile.guessed)).toEqual(
        expect.arrayContaining(["units.timer", "units.update", "compose.services.db"]),
      );
      expect(init.stderr).toContain("missing  compose.services.grafana");

      const { exitCode, document } = await auditJson(stack);
      // The profile declares the service user: a host made by the harness creates it, so it is only worth knowing.
      const declared = HAZARDS_ON_DRIFTED.map((f) => f.replace(/^"?warning unit\.user/, "info unit.user"));
      expect(named(document)).toEqual([...declared, ...DRIFTED_RUNBOOK_CONTRADICTIONS].sort());
      expect(exitCode).toBe(ExitCode.failed);

      const again = await sattvaChaos(["init", "--stack", stack]);
      expect(again.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(again.stderr).toContain(
        "sattva-chaos.json exists: expected no profile yet (pass --force to replace it)",
      );
    });
  });

  it("judges a checkout by its own runbook, or by the one --runbook names; one that cannot be read is bad input", async () => {
    await withTempDir("audit-runbook", async (dir) => {
      const stack = path.join(dir, "stack");
      await cp(BUNDLED_STACK, stack, { recursive: true });
      const own = path.join(stack, "DEPLOYMENT_ARCHITECTURE.md");
      const text = await readFile(own, "utf8");
      expect(text).toContain("sleep 10\n");
      // The team replaced the fixed wait with a readiness loop: that contradiction is gone from its audit.
      await writeFile(
        own,
        text.replace("sleep 10\n", "until docker compose exec -T db pg_isready; do sleep 1; done\n"),
      );
      const ids = (document: FindingsDocument) => document.findings.map((f) => f.id);
      expect(ids((await auditJson(stack)).document)).not.toContain("runbook.sleep-10");
      const reference = await sattvaChaos([
        "audit",
        "--stack",
        stack,
        "--runbook",
        path.join(BUNDLED_STACK, "DEPLOYMENT_ARCHITECTURE.md"),
        "--json",
      ]);
      expect(ids(FindingsDocumentSchema.parse(JSON.parse(reference.stdout)))).toContain("runbook.sleep-10");
      expect(reference.stderr).toContain("runbook the reference runbook (DEPLOYMENT_ARCHITECTURE.md)");
      const missing = await sattvaChaos(["audit", "--stack", stack, "--runbook", path.join(dir, "nope.md")]);
      expect(missing.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(missing.stderr).toMatch(
        /--runbook .*nope\.md: cannot be read \(ENOENT\); expected the deployment's runbook/,
      );
    });
  });

  it("reads the services a compose file pulls in with include: as its own, at their file and line", async () => {
    await withTempDir("audit-include", async (dir) => {
      const stack = path.join(dir, "include");
      await cp(BUNDLED_STACK, stack, { recursive: true });
      const composeFile = path.join(stack, "docker-compose.yml");
      const text = await readFile(composeFile, "utf8");
      // The monitoring services move to monitoring/compose.yml, whose mounts are relative to it.
      const monitoring = text.slice(text.indexOf("  prometheus:"), text.indexOf("volumes:\n  pgdata:"));
      await writeFile(
        composeFile,
        text
          .replace(monitoring, "")
          .replace("services:\n", "include:\n  - path: monitoring/compose.yml\n\nservices:\n"),
      );
      await writeFile(
        path.join(stack, "monitoring/compose.yml"),
        `services:\n${monitoring.replaceAll("./monitoring/", "./")}`,
      );
      const { exitCode, document } = await auditJson(stack);
      const found = named(document);
      expect(found.filter((f) => f.includes("layout.") || f.startsWith("warning"))).toEqual([]);
      expect(found).toContain("info compose.images monitoring/compose.yml:12");
      expect(exitCode).toBe(ExitCode.passed);
    });
  });

  it("a healthy checkout named and laid out its own way, its secrets in an env file made from an example, has no blocker", async () => {
    await withTempDir("audit-renamed", async (dir) => {
      const stack = await writeRenamedStack(path.join(dir, "renamed"));
      expect((await sattvaChaos(["init", "--stack", stack])).exitCode).toBe(ExitCode.passed);
      const { exitCode, document } = await auditJson(stack);
      const found = named(document);
      expect(found.filter((f) => f.startsWith("blocker"))).toEqual([]);
      // The runbook never makes deploy/.env from its example: a step it omits, not a broken deployment.
      expect(found).toContain("warning unit.environment deploy/systemd/sattva-api.service:10");
      // Compose resolved the files with the values a test host gets: host.docker.internal is mapped.
      expect(found.filter((f) => f.includes("prometheus.targets"))).toEqual([]);
      expect(exitCode).toBe(ExitCode.passed);
    });
  });

  it("a frontend on the host's network reaches a loopback-only backend; listening elsewhere than :3000 is a drift to know", async () => {
    await withTempDir("audit-host-network", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "host-network");
      await edit("docker-compose.yml", '    ports:\n      - "3000:80"\n', "    network_mode: host\n");
      await edit(
        "frontend/nginx.conf",
        "proxy_pass http://172.17.0.1:8000;",
        "proxy_pass http://127.0.0.1:8000;",
      );
      await edit("frontend/nginx.conf", "listen 80;", "listen 3000;");
      await edit("systemd/sattva-backend.service", "--host 0.0.0.0", "--host 127.0.0.1");
      const blockers = (document: FindingsDocument) =>
        named(document).filter((f) => f.startsWith("blocker") || f.startsWith("warning"));
      expect(blockers((await auditJson(stack)).document)).toEqual([]);
      await edit("frontend/nginx.conf", "listen 3000;", "listen 80;");
      const moved = (await auditJson(stack)).document;
      expect(blockers(moved)).toEqual([]);
      expect(named(moved)).toContain("info nginx.proxy frontend/nginx.conf:3");
    });
  });

  it("blocks on a monitoring service nginx hands out on the web port, unless the location asks for a password", async () => {
    await withTempDir("audit-hands-out", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "hands-out");
      await edit(
        "frontend/nginx.conf",
        "    location /api/ {",
        "    location /metrics/ {\n        proxy_pass http://prometheus:9090/;\n    }\n\n    location ^~ /alerts/ {\n        proxy_pass http://172.17.0.1:9093/;\n    }\n\n    location /api/ {",
      );
      const handedOut = (document: FindingsDocument) =>
        named(document).filter((f) => f.includes("nginx.hands-out"));
      const open = await auditJson(stack);
      expect(handedOut(open.document)).toEqual([
        "blocker nginx.hands-out frontend/nginx.conf:14",
        "blocker nginx.hands-out frontend/nginx.conf:18",
      ]);
      expect(open.exitCode).toBe(ExitCode.failed);
      await edit(
        "frontend/nginx.conf",
        "proxy_pass http://prometheus:9090/;",
        'proxy_pass http://prometheus:9090/;\n        auth_basic "monitoring";',
      );
      expect(handedOut((await auditJson(stack)).document)).toEqual([
        "blocker nginx.hands-out frontend/nginx.conf:19",
      ]);
    });
  });

  it("warns of a streamer that lives and dies with the backend (Requires=, BindsTo=, PartOf=)", async () => {
    await withTempDir("audit-coupling", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "coupling");
      await edit(
        "systemd/sattva-streamer.service",
        "After=network.target sattva-backend.service\n",
        "After=network.target sattva-backend.service\nRequires=sattva-backend.service\nPartOf=sattva-backend.service\n",
      );
      const found = named((await auditJson(stack)).document).filter((f) => f.includes("unit.coupling"));
      expect(found).toEqual([
        "warning unit.coupling systemd/sattva-streamer.service:5",
        "warning unit.coupling systemd/sattva-streamer.service:6",
      ]);
    });
  });

  it("reads an update run from cron instead of the timer, and a port set through the unit's Environment=", async () => {
    await withTempDir("audit-cron", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "cron");
      await rm(path.join(stack, "systemd/yt-dlp-update.timer"));
      await rm(path.join(stack, "systemd/yt-dlp-update.service"));
      await mkdir(path.join(stack, "deploy/cron.d"), { recursive: true });
      await writeFile(
        path.join(stack, "deploy/cron.d/yt-dlp-update"),
        "# yt-dlp, daily\n30 3 * * * root /opt/sattva-streamer/scripts/yt-dlp-update.sh >> /var/log/yt-dlp-update.log 2>&1\n",
      );
      await chmod(path.join(stack, "scripts/yt-dlp-update.sh"), 0o644);
      await edit("systemd/sattva-backend.service", "--port 8000", "--port ${API_PORT}");
      await edit("systemd/sattva-backend.service", "[Service]\n", "[Service]\nEnvironment=API_PORT=8010\n");
      const { document } = await auditJson(stack);
      const found = named(document);
      expect(found).toEqual(
        expect.arrayContaining([
          "warning update.cron deploy/cron.d/yt-dlp-update:2",
          "blocker script.update scripts/yt-dlp-update.sh:1",
        ]),
      );
      const cron = document.findings.filter((f) => f.id === "update.cron").map((f) => f.observed);
      expect(cron).toEqual([
        expect.stringContaining(
          "the update runs from cron (`30 3 * * * root /opt/sattva-streamer/scripts/yt-dlp-update.sh",
        ),
        "cron runs it daily at 03:30, not 04:00",
      ]);
      const missingTimer = document.findings.find(
        (f) => f.id === "layout.missing" && f.subject.includes("yt-dlp-update.timer"),
      );
      expect(missingTimer?.impact).toContain("cron runs the update instead (deploy/cron.d/yt-dlp-update:2)");
      // The backend listens on the port its Environment= sets: nginx's 172.17.0.1:8000 reaches nothing.
      expect(
        document.findings.find((f) => f.id === "nginx.proxy" && f.severity === "blocker")?.observed,
      ).toContain("8010");
    });
  });

  it("validates compose with the project .env a test host gets, and warns that the runbook never makes it", async () => {
    await withTempDir("audit-project-env", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "project-env");
      await edit(
        "docker-compose.yml",
        "POSTGRES_PASSWORD: sattva",
        "POSTGRES_PASSWORD: ${DB_PASSWORD:?set it in .env}",
      );
      await writeFile(path.join(stack, ".env.example"), "DB_PASSWORD=\n");
      const { document } = await auditJson(stack);
      // Compose resolves ${DB_PASSWORD} from the .env made from the example: no validator complains.
      expect(named(document).filter((f) => f.startsWith("blocker"))).toEqual([]);
      const projectEnv = document.findings.find((f) => f.id === "compose.env-files");
      expect(projectEnv).toMatchObject({
        severity: "warning",
        subject: ".env",
        file: "docker-compose.yml",
        line: 12,
      });
      expect(projectEnv?.observed).toBe(
        ".env, which compose reads for the ${VARIABLES} of docker-compose.yml, is not in the checkout (only .env.example is, leaving DB_PASSWORD to fill)",
      );
    });
  });

  it("turns each validator's complaint into a finding at the file and line it names", async () => {
    await withTempDir("audit-validators", async (dir) => {
      const { stack, edit } = await bundledCopy(dir, "broken");
      await edit(
        "frontend/nginx.conf",
        "        proxy_set_header Host $host;\n",
        "        proxy_set_header Host $host;\n        proxy_buffering maybe;\n",
      );
      await edit(
        "monitoring/prometheus.yml",
        "  scrape_interval: 5s\n",
        "  scrape_interval: 5s\n  scrape_intervall: 5s\n",
      );
      await edit("monitoring/alertmanager.yml", "  receiver: harness-webhook", "  receiver: nobody");
      await edit("systemd/sattva-streamer.service", "RestartSec=10", "RestartSec=10\nRestartSecs=5");
      await rm(path.join(stack, "monitoring/alert-rules.yml"));
      const { exitCode, document } = await auditJson(stack);
      const blockers = named(document).filter((f) => f.startsWith("blocker"));
      expect(blockers).toEqual([
        "blocker compose.mounts docker-compose.yml:60",
        "blocker validate.amtool monitoring/alertmanager.yml",
        "blocker validate.nginx frontend/nginx.conf:18",
        "blocker validate.promtool monitoring/prometheus.yml:5",
      ]);
      expect(named(document)).toContain("warning validate.systemd systemd/sattva-streamer.service:14");
      expect(document.findings.find((f) => f.id === "validate.nginx")?.observed).toBe(
        'nginx: invalid value "maybe" in "proxy_buffering" directive, it must be "on" or "off"',
      );
      expect(exitCode).toBe(ExitCode.failed);

      await edit("docker-compose.yml", "\n  redis:\n", "\n redis:\n");
      const compose = await auditJson(stack);
      // Compose refuses the file at its broken line; the services' configurations are still checked on their own.
      expect(named(compose.document).filter((f) => f.startsWith("blocker"))).toEqual([
        "blocker validate.amtool monitoring/alertmanager.yml",
        "blocker validate.compose docker-compose.yml:26",
        "blocker validate.nginx frontend/nginx.conf:18",
        "blocker validate.promtool monitoring/prometheus.yml:5",
      ]);
      // What needs the compose model is skipped, by name, rather than guessed.
      expect(compose.document.checks.find((c) => c.id === "compose.public-ports")).toMatchObject({
        status: "skipped",
      });
    });
  });

  it("writes findings.json, a JUnit test case per check, summary.md and a page that opens cleanly", async () => {
    await withTempDir("audit-report", async (dir) => {
      const result = await sattvaChaos(["audit", "--stack", DRIFTED_STACK, "--report", dir]);
      expect(result.exitCode).toBe(ExitCode.failed);
      const document = FindingsDocumentSchema.parse(
        JSON.parse(await readFile(path.join(dir, "findings.json"), "utf8")),
      );
      const junit = await readFile(path.join(dir, "junit.xml"), "utf8");
      expect(junit.match(/<testcase /g)?.length).toBe(document.checks.length);
      expect(junit.match(/<failure /g)?.length).toBe(
        document.checks.filter((c) => c.status === "failed").length,
      );
      expect(junit).toContain(
        'name="unit.dependencies: the units&#39; After=/Requires=/Wants= name units that exist on the host"',
      );
      const summary = await readFile(path.join(dir, "summary.md"), "utf8");
      expect(summary).toContain(`#### Findings: ${document.counts.blocker} blockers`);
      if ((await findChromium()) !== undefined) {
        const { consoleErrors } = await screenshotPage(
          path.join(dir, "index.html"),
          path.join(dir, "audit.png"),
        );
        expect(consoleErrors).toEqual([]);
      }
    });
  });
});
