import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";
import { proposeProfile } from "./init.ts";

it("reads the backend's health route with its FastAPI router's prefix: the path the backend serves", async () => {
  await withTempDir("init-health", async (dir) => {
    const copy = path.join(dir, "stack");
    await cp(BUNDLED_STACK, copy, { recursive: true });
    const main = path.join(copy, "backend", "src", "main.py");
    await writeFile(
      main,
      (await readFile(main, "utf8")).replace(
        '@route("GET", "/health")',
        'api = APIRouter(prefix="/v1")\napp.include_router(api, prefix="/api")\n\n\n@api.get("/healthz")',
      ),
    );
    expect((await proposeProfile(copy)).profile.backend?.health).toEqual(["/api/v1/healthz"]);
  });
});
