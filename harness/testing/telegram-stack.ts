import { appendFile, cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

/** How the streamer's Telegram login goes on a test host: it exits, or it waits for ever. */
export type TelegramLogin = "exits" | "hangs";

const LOGINS: Readonly<Record<TelegramLogin, string>> = {
  // No API id in its environment: Pyrogram refuses to start, and the unit fails.
  exits: `TELEGRAM = Client(
    "sattva-streamer",
    api_id=int(os.environ.get("TELEGRAM_API_ID", "")),
    api_hash=os.environ.get("TELEGRAM_API_HASH", ""),
    in_memory=True,
)
`,
  // A login that never completes, as a client retrying a Telegram server it cannot reach (no
  // connection is opened here): the unit stays active and the streamer never beats.
  hangs: `TELEGRAM = Client("sattva-streamer", api_id=1, api_hash="0" * 32, in_memory=True)
print("connecting to Telegram...", flush=True)
__import__("threading").Event().wait()
`,
};

/**
 * The bundled stack with the real streamer's Telegram side: its venv requires Pyrogram (the client
 * PyTgCalls plays through), and it logs in to Telegram before it plays anything, with the API id and
 * hash of its environment. A test host has neither a Telegram account nor a route to Telegram, so this
 * streamer exits at start there (before it opens any connection), or (`hangs`) waits for ever, as a
 * real checkout's would; the backend and everything in Docker are the bundled stack's.
 */
export async function writeTelegramStack(dir: string, login: TelegramLogin = "exits"): Promise<string> {
  await cp(BUNDLED_STACK, dir, { recursive: true });
  await appendFile(path.join(dir, "streamer", "requirements.txt"), "pyrogram==2.0.106\n");
  const main = path.join(dir, "streamer", "main.py");
  const text = await readFile(main, "utf8");
  const anchor = "import yt_dlp\n";
  if (!text.includes(anchor)) throw new Error(`telegram stack: "${anchor.trim()}" not found in ${main}`);
  await writeFile(
    main,
    text.replace(
      anchor,
      `${anchor}
# The Telegram side: the streamer logs in before it plays anything.
from pyrogram import Client

${LOGINS[login]}`,
    ),
  );
  return dir;
}
