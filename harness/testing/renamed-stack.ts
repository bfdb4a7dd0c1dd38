import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

/**
 * The bundled stack as another team would have it, healthy but named and laid out its own way: units
 * sattva-api, sattva-bot and ytdlp-refresh in deploy/systemd/, the install root /srv/sattva, the
 * backend on 8080 with its health at /healthz, the compose file as deploy/compose.yaml with services
 * postgres, cache and web (published on ${WEB_PORT:-8081}), nginx reaching the backend through an
 * `upstream` block, Prometheus through host.docker.internal and published on loopback only,
 * Alertmanager not published and paging a Telegram chat, scrape jobs api and bot with their own alert
 * names, PostgreSQL on host port 5433 with its URL in POSTGRES_DSN, PostgreSQL's credentials and
 * Redis' password in deploy/.env (only its example is in the checkout), and no profile.
 * Everything the runbook does still works here, by these names: a scenario that fails on it is tied to
 * the runbook's names or layout, not testing the deployment.
 */
export async function writeRenamedStack(dir: string): Promise<string> {
  await cp(BUNDLED_STACK, dir, { recursive: true });
  await rm(path.join(dir, "sattva-chaos.json"));
  await mkdir(path.join(dir, "deploy"));
  await rename(path.join(dir, "systemd"), path.join(dir, "deploy", "systemd"));
  const units = path.join(dir, "deploy", "systemd");
  for (const [from, to] of [
    ["sattva-backend.service", "sattva-api.service"],
    ["sattva-streamer.service", "sattva-bot.service"],
    ["yt-dlp-update.service", "ytdlp-refresh.service"],
    ["yt-dlp-update.timer", "ytdlp-refresh.timer"],
  ] as const)
    await rename(path.join(units, from), path.join(units, to));

  const edit = async (file: string, edits: readonly (readonly [RegExp, string])[]) => {
    let text = await readFile(path.join(dir, file), "utf8");
    for (const [pattern, replacement] of edits) {
      if (!pattern.test(text)) throw new Error(`renamed stack: ${pattern} not found in ${file}`);
      text = text.replace(pattern, replacement);
    }
    await writeFile(path.join(dir, file), text);
  };
  const root: [RegExp, string] = [/\/opt\/sattva-streamer/g, "/srv/sattva"];
  // The credentials live in deploy/.env, made from its example at deploy time (never committed).
  const envFile: [RegExp, string] = [
    /^Environment="PATH=/m,
    'EnvironmentFile=/srv/sattva/deploy/.env\nEnvironment="PATH=',
  ];
  await edit("deploy/systemd/sattva-api.service", [root, envFile, [/--port 8000/, "--port 8080"]]);
  await edit("deploy/systemd/sattva-bot.service", [
    root,
    envFile,
    [/sattva-backend\.service/, "sattva-api.service"],
  ]);
  await writeFile(
    path.join(dir, "deploy", ".env.example"),
    [
      "# Copy to deploy/.env and fill in.",
      "POSTGRES_USER=sattva_app",
      "POSTGRES_PASSWORD=changeme",
      "POSTGRES_DB=sattva_prod",
      "POSTGRES_DSN=postgresql://sattva_app:changeme@127.0.0.1:5433/sattva_prod",
      "REDIS_PASSWORD=changeme",
      "REDIS_URL=redis://:changeme@127.0.0.1:6379/0",
      "",
    ].join("\n"),
  );
  await edit("deploy/systemd/ytdlp-refresh.service", [root]);
  await edit("scripts/yt-dlp-update.sh", [
    root,
    [/systemctl restart sattva-streamer/, "systemctl restart sattva-bot"],
  ]);
  await edit("frontend/nginx.conf", [
    [/^server \{/m, "upstream api {\n    server 172.17.0.1:8080;\n    keepalive 8;\n}\n\nserver {"],
    [
      /proxy_pass http:\/\/172\.17\.0\.1:8000;/,
      'proxy_pass http://api;\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";',
    ],
  ]);
  await edit("monitoring/prometheus.yml", [
    [/172\.17\.0\.1:8000/, "host.docker.internal:8080"],
    [/172\.17\.0\.1:9101/, "host.docker.internal:9101"],
    [/job_name: sattva-backend/, "job_name: api"],
    [/job_name: sattva-streamer/, "job_name: bot"],
  ]);
  await edit("monitoring/alert-rules.yml", [
    [
      /alert: BackendDown\n(\s+)expr: up\{job="sattva-backend"\}/,
      'alert: ApiUnreachable\n$1expr: up{job="api"}',
    ],
    [
      /alert: StreamerDown\n(\s+)expr: up\{job="sattva-streamer"\}/,
      'alert: BotUnreachable\n$1expr: up{job="bot"}',
    ],
  ]);
  await edit("docker-compose.yml", [
    [/\.\/(frontend|monitoring)\//g, "../$1/"],
    [/build: \.\/backend/, "build: ../backend"],
    [
      /^( {2}prometheus:\n {4}image: .*\n)/m,
      '$1    extra_hosts:\n      - "host.docker.internal:host-gateway"\n',
    ],
    [/^ {2}db:/m, "  postgres:"],
    [/POSTGRES_USER: sattva\n/, "POSTGRES_USER: ${POSTGRES_USER}\n"],
    [/POSTGRES_PASSWORD: sattva\n/, "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in deploy/.env}\n"],
    [/POSTGRES_DB: sattva\n/, "POSTGRES_DB: ${POSTGRES_DB}\n"],
    [/"-U", "sattva", "-d", "sattva"/, '"-U", "${POSTGRES_USER}", "-d", "${POSTGRES_DB}"'],
    [
      /postgresql:\/\/sattva:sattva@db:5432\/sattva/,
      "postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}",
    ],
    [/^ {2}redis:/m, "  cache:"],
    [/^ {2}frontend:/m, "  web:"],
    [/redis:\/\/redis:/, "redis://:${REDIS_PASSWORD}@cache:"],
    [
      /^( {2}cache:\n {4}image: .*\n)/m,
      '$1    command: ["redis-server", "--requirepass", "${REDIS_PASSWORD:?set it in deploy/.env}"]\n',
    ],
    [/- db\n(\s+)- redis\n/, "- postgres\n$1- cache\n"],
    [/"8000:8000"/, '"8080:8080"'],
    // PostgreSQL on another host port; the app reads its URL as POSTGRES_DSN.
    [/"127\.0\.0\.1:5432:5432"/, '"127.0.0.1:5433:5432"'],
    [/DATABASE_URL: /, "POSTGRES_DSN: "],
    // The web port from a variable, Prometheus on loopback only, Alertmanager on its network only.
    [/"3000:80"/, '"${WEB_PORT:-8081}:80"'],
    [/"9090:9090"/, '"127.0.0.1:9090:9090"'],
    [/^( {2}alertmanager:\n {4}image: .*\n) {4}ports:\n {6}- "9093:9093"\n/m, "$1"],
  ]);
  await edit("backend/Dockerfile", [[/"--port", "8000"/, '"--port", "8080"']]);
  await edit("backend/src/main.py", [
    [/@route\("GET", "\/health"\)/, '@route("GET", "/healthz")'],
    [/DATABASE_URL/g, "POSTGRES_DSN"],
  ]);
  // Alerts page the team's Telegram chat, a receiver the harness cannot read.
  await edit("monitoring/alertmanager.yml", [
    [/^# .*\n/, "# Alerts page the team's Telegram chat.\n"],
    [/receiver: harness-webhook/, "receiver: telegram-oncall"],
    [
      /- name: harness-webhook\n(?:.*\n)*/,
      '- name: telegram-oncall\n    telegram_configs:\n      - bot_token: "123456789:renamed-stack-not-a-real-token"\n        chat_id: -1001234567890\n        send_resolved: true\n',
    ],
  ]);
  await rename(path.join(dir, "docker-compose.yml"), path.join(dir, "deploy", "compose.yaml"));
  return dir;
}
