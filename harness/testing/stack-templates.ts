import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { hostTemplateFor } from "../targets/container/container-target.ts";

/**
 * Removes the provisioned-host template runs on a test's temporary stack made (a broken or drifted
 * copy): the copy goes with the test, and so does its template. The templates of the stacks the
 * suite keeps using (the bundled one) stay, a cache like the images.
 */
export async function removeStackTemplate(stackDir: string): Promise<void> {
  const images = await ensureImages({ mode: "offline" });
  const template = await hostTemplateFor({
    images: imagesForHostEngine(images),
    provisioning: await Stack.provisioning(await openStackDir(stackDir), images),
  });
  await template?.remove();
}
