import { appendFile, cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

/**
 * The bundled stack with the real streamer's Telegram side: its venv requires Pyrogram (the client
 * PyTgCalls plays through), and it logs in to Telegram before it plays anything, with the API id and
 * hash of its environment. A test host has neither a Telegram account nor a route to Telegram, so this
 * streamer exits at start there (before it opens any connection), as a real checkout's would; the
 * backend and everything in Docker are the bundled stack's.
 */
export async function writeTelegramStack(dir: string): Promise<string> {
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

TELEGRAM = Client(
    "sattva-streamer",
    api_id=int(os.environ.get("TELEGRAM_API_ID", "")),
    api_hash=os.environ.get("TELEGRAM_API_HASH", ""),
    in_memory=True,
)
`,
    ),
  );
  return dir;
}
