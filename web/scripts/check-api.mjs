// Fails when src/api/schema.d.ts is not what docs/openapi.json generates,
// so a changed endpoint breaks the console's build instead of a page.
// Regenerate with `npm run gen:api`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tessera-api-"));
try {
  const out = join(dir, "schema.d.ts");
  execFileSync("npx", ["--no-install", "openapi-typescript", "../docs/openapi.json", "-o", out], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (readFileSync(out, "utf8") !== readFileSync("src/api/schema.d.ts", "utf8")) {
    console.error("web/src/api/schema.d.ts does not match docs/openapi.json: run `npm run gen:api` in web/");
    process.exit(1);
  }
  console.log("web/src/api/schema.d.ts matches docs/openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
