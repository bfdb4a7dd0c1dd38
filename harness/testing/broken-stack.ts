import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

/** One deliberate defect: a file of the bundled stack and the edit that breaks it. */
interface Breakage {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

/** Deliberately broken copies of the stack, for showing that scenarios fail and say why. */
export const BREAKAGES = {
  /** nginx proxies /api/ to a port nothing listens on. */
  "nginx-wrong-port": {
    file: "frontend/nginx.conf",
    from: "proxy_pass http://172.17.0.1:8000;",
    to: "proxy_pass http://172.17.0.1:8001;",
  },
  /** The backend binds loopback only, so nginx in Docker cannot reach it at 172.17.0.1. */
  "backend-loopback-only": {
    file: "systemd/sattva-backend.service",
    from: "--host 0.0.0.0",
    to: "--host 127.0.0.1",
  },
  /** The yt-dlp update timer fires at 05:00 UTC instead of 04:00. */
  "timer-other-hour": { file: "systemd/yt-dlp-update.timer", from: "04:00:00 UTC", to: "05:00:00 UTC" },
  /** Redis published on every interface instead of loopback. */
  "redis-published-publicly": {
    file: "docker-compose.yml",
    from: '"127.0.0.1:6379:6379"',
    to: '"6379:6379"',
  },
  /** PostgreSQL published on every interface instead of loopback. */
  "postgres-published-publicly": {
    file: "docker-compose.yml",
    from: '"127.0.0.1:5432:5432"',
    to: '"5432:5432"',
  },
  /**
   * nginx hands Prometheus out under /prometheus/ on the public web port, the way the runbook reaches the
   * backend (the host's docker0 address): no firewall closes the one port it must keep open.
   */
  "nginx-serves-prometheus": {
    file: "frontend/nginx.conf",
    from: "    location /api/ {",
    to: "    location /prometheus/ {\n        proxy_pass http://172.17.0.1:9090/;\n    }\n\n    location /api/ {",
  },
  /** The backend unit without Restart=always: a crash is not restarted by systemd. */
  "backend-no-restart": { file: "systemd/sattva-backend.service", from: "Restart=always\n", to: "" },
  /** The backend keeps its first database connection forever: it never reconnects after PostgreSQL restarts. */
  "backend-never-reconnects": {
    file: "backend/src/main.py",
    from: '@route("GET", "/streamer")',
    to: [
      "# Broken on purpose (sattva-chaos self-test): one connection for the life of the process.",
      "_only_connection = None",
      "",
      "",
      "@contextmanager",
      "def database():",
      "    global _only_connection",
      "    if _only_connection is None:",
      '        _only_connection = psycopg.connect(CONFIG["DATABASE_URL"], autocommit=True, connect_timeout=2)',
      "        _only_connection.execute(SCHEMA)",
      "    yield _only_connection",
      "",
      "",
      '@route("GET", "/streamer")',
    ].join("\n"),
  },
  /** The update script no longer restarts the streamer: a new yt-dlp is installed but never loaded. */
  "update-script-no-restart": {
    file: "scripts/yt-dlp-update.sh",
    from: "systemctl restart sattva-streamer\n",
    to: "",
  },
  /** Prometheus scrapes the streamer inside its own container instead of on the host. */
  "prometheus-scrapes-wrong-host": {
    file: "monitoring/prometheus.yml",
    from: '"172.17.0.1:9101"',
    to: '"localhost:9101"',
  },
  /** The alert on the backend's dependencies waits 10 minutes before it fires: a partition pages nobody. */
  "dependency-alert-too-slow": {
    file: "monitoring/alert-rules.yml",
    from: "expr: sattva_backend_dependency_up == 0\n        for: 10s",
    to: "expr: sattva_backend_dependency_up == 0\n        for: 10m",
  },
  /** The backend waits 30 s on PostgreSQL and Redis instead of 2 s: a slow database makes it slow, not failing. */
  "backend-slow-dependency-timeout": {
    file: "backend/src/main.py",
    from: '"DEPENDENCY_TIMEOUT_SECONDS": "2"',
    to: '"DEPENDENCY_TIMEOUT_SECONDS": "30"',
  },
} as const satisfies Record<string, Breakage>;

export type BreakageName = keyof typeof BREAKAGES;

/** Copies the bundled stack into `dir` with one breakage applied (the edit must apply, or it throws). */
export async function writeBrokenStack(name: BreakageName, dir: string): Promise<string> {
  const breakage: Breakage = BREAKAGES[name];
  await cp(BUNDLED_STACK, dir, { recursive: true });
  const file = path.join(dir, breakage.file);
  const text = await readFile(file, "utf8");
  if (!text.includes(breakage.from))
    throw new Error(`breakage ${name}: "${breakage.from}" not found in ${breakage.file}`);
  await writeFile(file, text.replace(breakage.from, breakage.to));
  return dir;
}
