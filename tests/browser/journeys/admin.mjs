// admin — the administration's pages (CONTRACT.md: /admin links to
// /admin/structures, /admin/offres, /admin/utilisateurs, /admin/processus),
// each visited from /admin and checked (status, landmarks, axe-core).
import { check } from '../lib/harness.mjs';
import { account, follow, login, logout, main, menuLink } from './common.mjs';

const SECTIONS = ['/admin/structures', '/admin/offres', '/admin/utilisateurs', '/admin/processus'];

export async function adminTour(j, p) {
  await j.step('connexion de l administration', async () => {
    await j.goto('/');
    await login(j, false, account(p, 'admin@appui.example'));
  });
  await j.step('administration', async () => {
    await follow(j, false, menuLink(j, 'Administration'), 'le lien « Administration » du menu principal');
    check(j.path() === '/admin', `« Administration » mène à ${j.path()}`);
  });
  for (const href of SECTIONS) {
    await j.step(href.slice(7), async () => {
      const link = main(j).locator(`a[href="${href}"]`).first();
      check(await link.count() === 1, `/admin ne lie pas ${href}`);
      await follow(j, false, link, `le lien vers ${href}`);
      check(j.path().startsWith(href), `le lien vers ${href} mène à ${j.path()}`);
      await j.goto('/admin');
    });
  }
  await j.step('schema d un circuit', async () => {
    await j.goto('/admin/processus');
    const link = main(j).locator('a[href="/admin/processus/demande-appui/1"]').first();
    check(await link.count() === 1, '/admin/processus ne lie pas la version 1 de demande-appui');
    await follow(j, false, link, 'le lien vers la version 1 de demande-appui');
    // diagram.js draws the BPMN with the viewer under the CSP.
    await j.page.locator('.diagram.drawn .djs-container').first().waitFor({ timeout: 10000 });
  });
  await j.step('deconnexion de l administration', () => logout(j, false));
}
