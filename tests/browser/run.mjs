#!/usr/bin/env node
// run — the browser tests of appui's web application (CTest:
// browser_journeys). Usage: node run.mjs APPUI_BINARY ARTEFACTS_DIR [JOURNEY…]
// Creates a data directory with the demo data, serves it on a free port,
// runs the journeys in Debian's Chromium (playwright-core, never a
// downloaded browser) with axe-core on every page, keeps one screenshot per
// step in ARTEFACTS_DIR/<journey>/<nn>-<step>.png, stops the server and
// removes the directory. Exit status 0 when every journey passed.
import { isAbsolute, resolve } from 'node:path';
import { Journey, JourneyError, requireChromium } from './lib/harness.mjs';
import { startPlatform } from './lib/platform.mjs';
import { selftest } from './journeys/selftest.mjs';
import { authMouse, authKeyboard } from './journeys/auth.mjs';
import { requestJourney } from './journeys/request.mjs';
import { adminTour } from './journeys/admin.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
// Stopped from outside (Ctrl-C, CTest's timeout): exit, so that the 'exit'
// handlers stop the server and remove the data directory.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { console.error(`\ninterrompu (${sig}) : arrêt du serveur et nettoyage`); process.exit(1); });
}
process.stdout.on('error', () => {});

const JOURNEYS = [
  ['connexion-souris', authMouse],
  ['connexion-clavier', authKeyboard],
  ['demande-souris', (j, p) => requestJourney(j, p, { keyboard: false })],
  ['demande-clavier', (j, p) => requestJourney(j, p, { keyboard: true })],
  ['administration-souris', adminTour],
];
// Journeys over pages not delivered yet (CONTRACT.md's /admin): run only when
// named on the command line, and announced as not run otherwise. Remove a
// name from here once its pages are merged.
const PENDING = new Set();

async function main() {
  const [appuiArg, artefactsArg, ...only] = process.argv.slice(2);
  if (!appuiArg || !artefactsArg) {
    console.error('usage : node run.mjs APPUI ARTEFACTS [PARCOURS…]');
    return 2;
  }
  const appui = isAbsolute(appuiArg) ? appuiArg : resolve(appuiArg);
  const artefacts = resolve(artefactsArg);
  const t0 = Date.now();
  const failures = [];
  const warnings = [];
  try {
    requireChromium();
  } catch (e) {
    console.error(e.message);
    return 1;
  }

  // The harness must see what it fails on, or no result below means anything.
  {
    const j = await new Journey({ name: 'autotest', base: '', artefacts, warnings: [] }).open();
    try {
      await selftest(j);
      console.log('autotest du harnais : CSP, console, axe, 5xx et focus invisible bien détectés');
    } catch (e) {
      failures.push(e.message);
    } finally {
      await j.close();
    }
  }

  let platform;
  try {
    platform = await startPlatform(appui);
  } catch (e) {
    console.error(`Démarrage de la plateforme : ${e.message}`);
    return 1;
  }
  console.log(`plateforme servie sur ${platform.base} (démarrage ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const stamp = `${Date.now().toString(36)}`;
  let audits = 0;
  let auditMs = 0;
  const pages = new Set();
  for (const [name, run] of JOURNEYS) {
    if (only.length && !only.includes(name)) continue;
    if (!only.length && PENDING.has(name)) {
      console.log(`parcours ${name} : NON LANCÉ (pages pas encore livrées ; « node run.mjs APPUI ARTEFACTS ${name} » pour l'essayer)`);
      continue;
    }
    const t = Date.now();
    const j = new Journey({ name, base: platform.base, artefacts, warnings });
    try {
      await j.open();
      await run(j, { accounts: platform.accounts, stamp, platform });
      console.log(j.log.join('\n'));
      console.log(`parcours ${name} : réussi (${((Date.now() - t) / 1000).toFixed(1)} s, ${j.audits} analyses axe)`);
    } catch (e) {
      console.log(j.log.join('\n'));
      const msg = e instanceof JourneyError ? e.message : `Parcours « ${name} », étape « ${j.stepName} » : ${e.stack || e}`;
      failures.push(msg);
      if (platform.exited()) failures.push(`le serveur s'est arrêté pendant le parcours ${name} :\n${platform.log(60)}`);
      console.log(`parcours ${name} : ÉCHEC (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    } finally {
      audits += j.audits;
      auditMs += j.auditMs;
      for (const p of j.pagesSeen) pages.add(p);
      await j.close().catch(() => {});
    }
  }
  try {
    await platform.stop();
  } catch (e) {
    failures.push(`Arrêt du serveur : ${e.message}`);
  }

  if (warnings.length) {
    const unique = [...new Set(warnings)];
    console.log(`\n${unique.length} avertissement(s) (axe-core mineurs ou modérés, focus perdu ; n'échouent pas) :`);
    for (const w of unique) console.log(`  ${w}`);
  }
  console.log(`\n${audits} analyses axe-core (${(auditMs / 1000).toFixed(1)} s) sur ${pages.size} états de page ; ` +
    `captures dans ${artefacts} ; durée totale ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (failures.length) {
    console.error(`\n${failures.length} échec(s) :\n\n${failures.join('\n\n')}\n\nJournal du serveur (fin) :\n${platform.log(30)}`);
    return 1;
  }
  console.log('Tous les parcours ont réussi.');
  return 0;
}

main().then(code => { process.exitCode = code; }, e => {
  console.error(e.stack || e);
  process.exitCode = 1;
});
