import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { UsageError } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { writeBrokenStack } from "../testing/broken-stack.ts";
import { writeTelegramStack } from "../testing/telegram-stack.ts";
import { collectionSettingsIn, telegramClientIn, testEnvText } from "./deployment.ts";
import { RunEnv } from "../scenario/run-env.ts";
import { BUNDLED_STACK, notDeployed, openStackDir } from "./stack-layout.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));

/** A copy of the bundled stack to alter (a harmless breakage keeps every file in place). */
const copyOfStack = (dir: string) => writeBrokenStack("timer-other-hour", path.join(dir, "stack"));

describe("openStackDir", () => {
  it("knows the folder nginx serves the SPA from, and whether the checkout has it (a build output often is not committed)", async () => {
    expect((await openStackDir(BUNDLED_STACK)).deployment.spaSource).toEqual({
      dir: "frontend/dist",
      present: true,
    });
    await withTempDir("spa-source", async (dir) => {
      const stack = await copyOfStack(dir);
      await rm(path.join(stack, "frontend", "dist"), { recursive: true });
      expect((await openStackDir(stack)).deployment.spaSource).toEqual({
        dir: "frontend/dist",
        present: false,
      });
    });
  });

  it("reads the bundled stack as the runbook lays it out", async () => {
    const { deployment } = await openStackDir(BUNDLED_STACK);
    expect(deployment.root).toBe("/opt/sattva-streamer");
    expect(deployment.composeFileArgs).toBe("");
    expect(deployment.services).toEqual(["sattva-backend.service", "sattva-streamer.service"]);
    expect([...deployment.unitFiles].sort()).toEqual([
      "systemd/sattva-backend.service",
      "systemd/sattva-streamer.service",
      "systemd/yt-dlp-update.service",
      "systemd/yt-dlp-update.timer",
    ]);
    expect(deployment.venvs).toEqual([
      { dir: "backend/venv", requirements: "backend/requirements.txt" },
      { dir: "streamer/venv", requirements: "streamer/requirements.txt" },
    ]);
    expect(deployment.users).toEqual([]);
    expect(deployment.envFiles).toEqual([]);
    expect(deployment.composeImages.map((c) => [c.service, c.catalogue, c.missing])).toEqual([
      ["db", "postgres", undefined],
      ["redis", "redis", undefined],
      ["frontend", "nginx", undefined],
      ["backend", undefined, undefined],
      ["prometheus", "prometheus", undefined],
      ["grafana", "grafana", undefined],
      ["alertmanager", "alertmanager", undefined],
    ]);
  });

  it("names a missing directory or a directory that is no checkout", async () => {
    await expect(openStackDir("/nonexistent/stack")).rejects.toThrow(
      "--stack /nonexistent/stack: no such directory (expected a checkout of the deployment)",
    );
    await withTempDir("layout-test", async (dir) => {
      await expect(openStackDir(dir)).rejects.toThrow(UsageError);
    });
  });

  it("does not refuse a checkout that lacks a part: it is a layout finding, and the part is not deployed", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await rm(path.join(stack, "systemd/yt-dlp-update.timer"));
      const { deployment, reading } = await openStackDir(stack);
      expect(deployment.unitsPresent.has("timer")).toBe(false);
      expect(reading.checkout.layoutFindings.map((f) => [f.id, f.subject])).toContainEqual([
        "layout.missing",
        "the update timer unit yt-dlp-update.timer",
      ]);
    });
  });

  it("follows a checkout's own layout from its profile (sattva-chaos.json), or from the checkout itself", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await mkdir(path.join(stack, "config"));
      await rename(path.join(stack, "systemd"), path.join(stack, "config", "systemd"));
      const main = path.join(stack, "backend", "src", "main.py");
      await writeFile(main, (await readFile(main, "utf8")).replace('"/health")', '"/healthz")'));
      // No profile: the units are found where they are, the health route in the backend's code.
      const inferred = (await openStackDir(stack)).deployment;
      expect(inferred.unitFiles[0]).toMatch(/^config\/systemd\//);
      expect(inferred.profile.backend.health).toEqual(["/healthz"]);
      await writeFile(
        path.join(stack, "sattva-chaos.json"),
        JSON.stringify({ units: { dir: "config/systemd" }, compose: { images: { grafana: "python" } } }),
      );
      const { deployment } = await openStackDir(stack);
      expect(deployment.unitFiles[0]).toMatch(/^config\/systemd\//);
      expect(deployment.composeImages.find((c) => c.service === "grafana")?.catalogue).toBe("python");
    });
  });

  it("reads what a drifted checkout needs deployed: its names, venvs, users, env files and what offline lacks", async () => {
    const { deployment } = await openStackDir(DRIFTED_STACK);
    expect(deployment.composeFileArgs).toBe("-f deploy/docker-compose.yml");
    expect(deployment.service("db")).toBe("postgres");
    expect(deployment.service("backend")).toBe("api");
    expect(deployment.unit("timer")).toBe("ytdlp-refresh.timer");
    expect(deployment.users).toEqual(["sattva"]);
    expect(deployment.envFiles.map((e) => [e.file, e.example])).toEqual([[".env", ".env.example"]]);
    expect(deployment.envFiles[0]?.text).toContain("BOT_TOKEN=sattva-chaos-test-bot-token");
    expect(
      deployment.composeImages.filter((c) => c.missing !== undefined).map((c) => [c.service, c.missing]),
    ).toEqual([["adminer", "needs image adminer:4 offline"]]);
    // Its alert on the backend is called ApiDown and selects job "backend", which it scrapes as "api":
    // nothing watches the backend's job; the scenarios say so instead of waiting for BackendDown.
    expect(deployment.profile.prometheus.jobs.backend).toBe("api");
    expect(deployment.alertRules.map((r) => r.name)).toEqual(["ApiDown"]);
    expect(deployment.downAlert("backend")).toBeUndefined();
  });

  it("finds the alert on the backend or the streamer being down by what it watches, not by its name", async () => {
    const bundled = (await openStackDir(BUNDLED_STACK)).deployment;
    expect([bundled.downAlert("backend"), bundled.downAlert("streamer")]).toEqual([
      "BackendDown",
      "StreamerDown",
    ]);
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      const rules = path.join(stack, "monitoring/alert-rules.yml");
      await writeFile(
        rules,
        (await readFile(rules, "utf8")).replace("alert: BackendDown", "alert: ApiUnreachable"),
      );
      expect((await openStackDir(stack)).deployment.downAlert("backend")).toBe("ApiUnreachable");
    });
  });

  it("builds a compose service offline when every base of its Dockerfile is a catalogue image", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      const compose = path.join(stack, "docker-compose.yml");
      const text = await readFile(compose, "utf8");
      await writeFile(compose, text.replace("image: nginx:stable", "build: ./frontend"));
      await writeFile(
        path.join(stack, "frontend/Dockerfile"),
        "FROM nginx:stable\nCOPY dist /usr/share/nginx/html\n",
      );
      const frontend = async () =>
        (await openStackDir(stack)).deployment.composeImages.find((c) => c.service === "frontend");
      expect(await frontend()).toEqual({
        service: "frontend",
        image: undefined,
        catalogue: undefined,
        build: {
          image: "sattva-streamer-frontend",
          context: "frontend",
          dockerfile: "Dockerfile",
          bases: [{ image: "nginx:stable", catalogue: "nginx" }],
        },
      });
      // An SPA built with npm in a Node stage: the catalogue's node image is that stage's base.
      await writeFile(
        path.join(stack, "frontend/Dockerfile"),
        "FROM node:22-alpine AS spa\nRUN npm run build\nFROM nginx:stable\nCOPY --from=spa /dist /usr/share/nginx/html\n",
      );
      expect((await frontend())?.build?.bases).toEqual([
        { image: "node:22-alpine", catalogue: "node" },
        { image: "nginx:stable", catalogue: "nginx" },
      ]);
      // A stage from an image the catalogue lacks: offline cannot build it, and says what it needs.
      await writeFile(
        path.join(stack, "frontend/Dockerfile"),
        "FROM golang:1.23 AS tool\nRUN go build ./...\nFROM nginx:stable\nCOPY --from=tool /x /usr/share/nginx/html\n",
      );
      const uncatalogued = await frontend();
      expect(uncatalogued?.build).toBeUndefined();
      expect(uncatalogued?.missing).toBe("needs image golang:1.23 offline");
    });
  });

  it("rejects a profile that is not JSON, or has an unknown key or a bad value, naming its path", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      const config = path.join(stack, "sattva-chaos.json");
      await writeFile(config, "{ units: ");
      await expect(openStackDir(stack)).rejects.toThrow(`${config}: not valid JSON`);
      await writeFile(config, JSON.stringify({ units: { dirr: "x" } }));
      await expect(openStackDir(stack)).rejects.toThrow('units.dirr: unknown key (did you mean "dir"?)');
      await writeFile(config, JSON.stringify({ units: { dir: 3 } }));
      await expect(openStackDir(stack)).rejects.toThrow("units.dir: expected string, got 3");
    });
  });
});

describe("the compose project's own .env", () => {
  it("is made from its example, as compose reads it for its ${VAR}s by itself", async () => {
    await withTempDir("project-env-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await writeFile(path.join(stack, ".env.example"), "POSTGRES_PASSWORD=changeme\nTZ=UTC\n");
      const { deployment } = await openStackDir(stack);
      const made = deployment.envFiles.find((e) => e.file === ".env");
      expect(made?.example).toBe(".env.example");
      expect(made?.text).toMatch(/^POSTGRES_PASSWORD=(?!changeme).+$/m);
      expect(made?.text).toMatch(/^TZ=UTC$/m);
    });
  });
});

describe("a service that needs Telegram", () => {
  it("is the one whose venv's requirements name a Telegram client", async () => {
    expect((await openStackDir(BUNDLED_STACK)).deployment.telegramClients.size).toBe(0);
    await withTempDir("telegram-test", async (dir) => {
      const { deployment } = await openStackDir(await writeTelegramStack(path.join(dir, "stack")));
      expect([...deployment.telegramClients]).toEqual([
        ["streamer", "pyrogram, in streamer/requirements.txt"],
      ]);
    });
    expect(telegramClientIn("yt-dlp==1\nPy-TgCalls>=2.1\n")).toBe("py-tgcalls");
    expect(telegramClientIn("Telethon~=1.36")).toBe("telethon");
    expect(telegramClientIn("# pyrogram, one day\npyromod-extras==1\nrequests")).toBeUndefined();
  });
});

describe("test env files", () => {
  it("keep the example's values, fill blanks and placeholders with test values, and keep them agreeing", () => {
    const text = testEnvText(
      "# comment\nBOT_TOKEN=\nPOSTGRES_PASSWORD=changeme\nDATABASE_URL=postgresql://u:changeme@127.0.0.1/db\nPORT=8000\n",
      ["EXTRA"],
    );
    expect(text.split("\n").slice(1)).toEqual([
      "BOT_TOKEN=sattva-chaos-test-bot-token",
      "POSTGRES_PASSWORD=sattva-chaos-test-postgres-password",
      "DATABASE_URL=postgresql://u:sattva-chaos-test-postgres-password@127.0.0.1/db",
      "PORT=8000",
      "EXTRA=sattva-chaos-test-extra",
      "",
    ]);
    // Typed settings load: numbers, flags and URLs where the name asks for them; Telegram's
    // credentials stay unusable, so its clients stop before opening any connection.
    expect(
      testEnvText("API_ID=\nAPI_HASH=\nADMIN_IDS=\nREQUEST_TIMEOUT=\nDEBUG=\nWEBHOOK_URL=\nSECRET_KEY=\n")
        .split("\n")
        .slice(1, 8),
    ).toEqual([
      "API_ID=sattva-chaos-test-api-id",
      "API_HASH=sattva-chaos-test-api-hash",
      "ADMIN_IDS=12345",
      "REQUEST_TIMEOUT=12345",
      "DEBUG=false",
      "WEBHOOK_URL=http://sattva-chaos-test.invalid/sattva-chaos-test-webhook-url",
      "SECRET_KEY=sattva-chaos-test-secret-key",
    ]);
    // Two secrets with one placeholder: URLs repeating it agree with both.
    const shared = testEnvText(
      "POSTGRES_PASSWORD=changeme\nREDIS_PASSWORD=changeme\nDATABASE_URL=postgresql://u:changeme@db/x\nREDIS_URL=redis://:changeme@r:6379/0\n",
    );
    expect(shared.split("\n").slice(1, 5)).toEqual([
      "POSTGRES_PASSWORD=sattva-chaos-test-postgres-password",
      "REDIS_PASSWORD=sattva-chaos-test-postgres-password",
      "DATABASE_URL=postgresql://u:sattva-chaos-test-postgres-password@db/x",
      "REDIS_URL=redis://:sattva-chaos-test-postgres-password@r:6379/0",
    ]);
  });
});

describe("settings typed as collections", () => {
  it("are found in the checkout's Python and get a JSON list, as typed settings read them", () => {
    const python = [
      "class Settings(BaseSettings):",
      "    admin_ids: list[int] = []",
      "    ALLOWED_CHATS: Optional[List[str]] = None",
      "    hosts: typing.Sequence[str]",
      "    bot_token: str",
      "    timeout: int = 5",
    ].join("\n");
    expect(collectionSettingsIn(python)).toEqual(["ADMIN_IDS", "ALLOWED_CHATS", "HOSTS"]);
    const text = testEnvText(
      "ADMIN_IDS=\nALLOWED_CHATS=\nBOT_TOKEN=\n",
      [],
      new Set(collectionSettingsIn(python)),
    );
    expect(text.split("\n").slice(1, 4)).toEqual([
      "ADMIN_IDS=[12345]",
      'ALLOWED_CHATS=["sattva-chaos-test-allowed-chats"]',
      "BOT_TOKEN=sattva-chaos-test-bot-token",
    ]);
  });
});

describe("the checkout's own env values", () => {
  it("are redacted wherever the harness writes what it saw, as written and as JSON writes them", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await writeFile(path.join(stack, ".env"), 'BOT_TOKEN=12345:real"token\nPORT=8000\nDEBUG=true\n');
      const { deployment } = await openStackDir(stack);
      const log = `started with token 12345:real"token on 8000 ${JSON.stringify({ t: '12345:real"token' })}`;
      expect(deployment.redact(log)).toBe(
        'started with token <redacted BOT_TOKEN> on 8000 {"t":"<redacted BOT_TOKEN>"}',
      );
    });
  });
});

describe("what a deployment copies", () => {
  it("leaves out VCS data, dependencies, local venvs, caches and this run's reports inside the checkout", () => {
    const stack = path.resolve("/srv/repo");
    vi.stubEnv(RunEnv.reportDir, path.join(stack, "reports"));
    try {
      const skipped = [
        ".git",
        "node_modules",
        "frontend/node_modules/x.js",
        "backend/venv",
        "backend/src/__pycache__",
        "reports",
        "reports/journals/smoke/a.json",
      ];
      const deployed = [
        "backend/src/main.py",
        "docs/reports.md",
        "reportsold/a",
        "systemd/sattva-backend.service",
      ];
      expect([...skipped, ...deployed].filter(notDeployed(stack))).toEqual(skipped);
      // Reports written outside the checkout are nobody's business here.
      vi.stubEnv(RunEnv.reportDir, path.resolve("/tmp/elsewhere"));
      expect(notDeployed(stack)("reports/a")).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
