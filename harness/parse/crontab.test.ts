import { describe, expect, it } from "vitest";
import { dailyTime, isCronFile, parseCronFile } from "./crontab.ts";

describe("cron files of a checkout", () => {
  it("are recognised by folder or name, not by content", () => {
    expect(isCronFile("deploy/cron.d/yt-dlp")).toBe(true);
    expect(isCronFile("ops/cron.daily/update-yt-dlp")).toBe(true);
    expect(isCronFile("crontab")).toBe(true);
    expect(isCronFile("ops/update.cron")).toBe(true);
    expect(isCronFile("scripts/yt-dlp-update.sh")).toBe(false);
  });

  it("a cron.d table has a user field; a user crontab has none; CRON_TZ applies below it", () => {
    const system = parseCronFile(
      "deploy/cron.d/yt-dlp",
      "SHELL=/bin/bash\r\n# daily update\r\n0 4 * * * root /opt/s/yt-dlp-update.sh >> /var/log/u.log 2>&1\r\n",
    );
    expect(system).toEqual([
      {
        file: "deploy/cron.d/yt-dlp",
        line: 3,
        schedule: "0 4 * * *",
        user: "root",
        command: "/opt/s/yt-dlp-update.sh >> /var/log/u.log 2>&1",
        timeZone: undefined,
      },
    ]);
    const user = parseCronFile(
      "crontab",
      "CRON_TZ=UTC\n@daily /opt/s/update.sh\n30 4 * * 1-5 cd /opt/s && ./u.sh\n",
    );
    expect(user.map((e) => [e.schedule, e.user, e.command, e.timeZone])).toEqual([
      ["@daily", undefined, "/opt/s/update.sh", "UTC"],
      ["30 4 * * 1-5", undefined, "cd /opt/s && ./u.sh", "UTC"],
    ]);
  });

  it("a run-parts script runs itself when /etc/crontab runs its folder", () => {
    expect(parseCronFile("ops/cron.daily/yt-dlp", "#!/bin/sh\npip install -U yt-dlp\n")).toMatchObject([
      { schedule: "25 6 * * *", user: "root", command: "ops/cron.daily/yt-dlp" },
    ]);
  });

  it("dailyTime reads a fixed daily time and nothing else", () => {
    expect(dailyTime("0 4 * * *")).toBe("04:00");
    expect(dailyTime("5 16 * * *")).toBe("16:05");
    expect(dailyTime("@daily")).toBe("00:00");
    expect(dailyTime("0 */6 * * *")).toBeUndefined();
    expect(dailyTime("0 4 * * 1-5")).toBeUndefined();
  });
});
