// `npm run config:apply FILE`: creates or updates the vendors, users and resources a YAML or JSON
// file declares. Running it again with the same file changes nothing.
import { applyPortalConfig, ConfigError, loadPortalConfigFile } from "@/lib/config/apply";
import { db } from "@/lib/db";

const file = process.argv[2];
if (!file) {
  console.error("Usage: npm run config:apply FILE   (a YAML or JSON file; see examples/portal-config.yaml)");
  process.exit(2);
}

try {
  const config = await loadPortalConfigFile(file);
  const summary = await applyPortalConfig(config, { source: file, actorLabel: "system:config-apply" });
  console.log(`Applied ${file}: ${summary.vendors} vendors, ${summary.users} users, ${summary.resources} resources.`);
  for (const item of summary.created) console.log(`  created ${item}`);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  await db.$disconnect();
}
