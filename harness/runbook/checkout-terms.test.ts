import { describe, expect, it } from "vitest";
import { parseProfile } from "../profile/profile.ts";
import { CheckoutTerms } from "./checkout-terms.ts";

const renamed = parseProfile(
  {
    compose: { services: { db: "postgres", frontend: "web", grafana: null }, project: "sattva" },
    units: {
      backend: "sattva-api.service",
      streamer: "sattva-bot.service",
      timer: "ytdlp-refresh.timer",
      update: "ytdlp-refresh.service",
    },
    root: "/srv/sattva",
    backend: { port: 8080 },
  },
  "sattva-chaos.json",
);

const translate = (text: string, terms = new CheckoutTerms(renamed)) => terms.translate(text).text;

describe("CheckoutTerms", () => {
  it("leaves the runbook's commands as written on a checkout with the runbook's names", () => {
    const terms = new CheckoutTerms(parseProfile({}, "x"));
    for (const command of [
      "systemctl restart sattva-backend sattva-streamer",
      "docker logs sattva-streamer-frontend-1 -f",
      "cd /opt/sattva-streamer && docker compose up -d db redis frontend",
      "curl http://localhost:8000/health",
    ])
      expect(terms.translate(command)).toEqual({ text: command, renamed: [] });
  });

  it("renames units, whole or without .service, and says which", () => {
    expect(new CheckoutTerms(renamed).translate("systemctl restart sattva-backend sattva-streamer")).toEqual({
      text: "systemctl restart sattva-api sattva-bot",
      renamed: ["sattva-backend → sattva-api", "sattva-streamer → sattva-bot"],
    });
    expect(translate("systemctl enable --now yt-dlp-update.timer")).toBe(
      "systemctl enable --now ytdlp-refresh.timer",
    );
    expect(translate("journalctl -u sattva-backend.service -n 100")).toBe(
      "journalctl -u sattva-api.service -n 100",
    );
    expect(translate("cat /etc/systemd/system/sattva-streamer.service")).toBe(
      "cat /etc/systemd/system/sattva-bot.service",
    );
  });

  it("renames the install root and containers, never a unit's name inside them", () => {
    expect(translate("/opt/sattva-streamer/streamer/venv/bin/pip install -U yt-dlp")).toBe(
      "/srv/sattva/streamer/venv/bin/pip install -U yt-dlp",
    );
    expect(translate("docker logs sattva-streamer-frontend-1 -f")).toBe("docker logs sattva-web-1 -f");
    expect(translate("docker stop sattva-streamer-backend-1")).toBe("docker stop sattva-backend-1");
    // The root unchanged, the streamer unit renamed: the path keeps its folder.
    const onlyUnit = new CheckoutTerms(parseProfile({ units: { streamer: "bot.service" } }, "x"));
    expect(translate("/opt/sattva-streamer/streamer/venv/bin/python main.py", onlyUnit)).toBe(
      "/opt/sattva-streamer/streamer/venv/bin/python main.py",
    );
  });

  it("names a container by the container_name the compose file fixes", () => {
    const fixed = new CheckoutTerms(renamed, { containerNames: new Map([["web", "sattva-nginx"]]) });
    expect(translate("docker logs sattva-streamer-frontend-1 -f", fixed)).toBe("docker logs sattva-nginx -f");
  });

  it("renames the venvs to where the checkout's units run them from", () => {
    const venvs = new CheckoutTerms(renamed, { venvs: { backend: "/srv/sattva/app/.venv" } });
    expect(translate("/opt/sattva-streamer/backend/venv/bin/pip install -U yt-dlp", venvs)).toBe(
      "/srv/sattva/app/.venv/bin/pip install -U yt-dlp",
    );
    expect(translate("/opt/sattva-streamer/streamer/venv/bin/pip install -U yt-dlp", venvs)).toBe(
      "/srv/sattva/streamer/venv/bin/pip install -U yt-dlp",
    );
  });

  it("renames the backend's health endpoint after its port or under /api only", () => {
    const healthz = new CheckoutTerms(parseProfile({ backend: { port: 8080, health: ["/healthz"] } }, "x"));
    expect(translate("curl http://localhost:8000/health", healthz)).toBe(
      "curl http://localhost:8080/healthz",
    );
    expect(translate("GET :3000/api/health -> 502", healthz)).toBe("GET :3000/api/healthz -> 502");
    expect(translate("cat /etc/health /srv/health/x", healthz)).toBe("cat /etc/health /srv/health/x");
    // A backend serving its health under /api (a router there): nginx passes the path on as it is.
    const underApi = new CheckoutTerms(parseProfile({ backend: { health: ["/api/health"] } }, "x"));
    expect(translate("curl http://localhost:8000/health", underApi)).toBe(
      "curl http://localhost:8000/api/health",
    );
    expect(translate("GET :3000/api/health -> 502", underApi)).toBe("GET :3000/api/health -> 502");
  });

  it("names the frontend's port where the checkout publishes it elsewhere (Grafana's :3001 stays)", () => {
    const on80 = new CheckoutTerms(renamed, { frontendPort: 80 });
    expect(translate("GET :3000/api/health -> 502", on80)).toBe("GET :80/api/health -> 502");
    expect(translate("GET :3001/api/health", on80)).toBe("GET :3001/api/health");
    expect(translate("GET :3000/api/health -> 502")).toBe("GET :3000/api/health -> 502");
  });

  it("renames the backend's port after a colon only", () => {
    expect(translate("curl http://localhost:8000/health")).toBe("curl http://localhost:8080/health");
    expect(translate("lsof -i :8000")).toBe("lsof -i :8080");
    expect(translate("docker exec x wget -q -O- http://172.17.0.1:8000/health")).toContain(":8080/health");
    expect(translate("sleep 8000; echo :80001")).toBe("sleep 8000; echo :80001");
  });

  it("renames compose services after `docker compose` only, and names the checkout's compose files", () => {
    expect(translate("docker compose up -d db redis frontend prometheus grafana alertmanager")).toBe(
      "docker compose up -d postgres redis web prometheus grafana alertmanager",
    );
    expect(translate("docker compose restart frontend && echo frontend db")).toBe(
      "docker compose restart web && echo frontend db",
    );
    const files = new CheckoutTerms(renamed, { composeFileArgs: "-f deploy/compose.yml" });
    expect(files.translate("docker compose down && docker compose up -d")).toEqual({
      text: "docker compose -f deploy/compose.yml down && docker compose -f deploy/compose.yml up -d",
      renamed: ["docker compose → docker compose -f deploy/compose.yml"],
    });
  });
});
