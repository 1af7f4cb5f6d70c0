// auth — the pages every visitor meets: home, the catalogue and one offer,
// a page that does not exist,
// a signed-in page asked anonymously (sent to /connexion with `suite`), a
// wrong password (the message in an alert, the address kept), logging in
// (back to `suite`), the home page signed in, logging out. Once with the
// mouse, once with the keyboard only (skip link included).
import { check } from '../lib/harness.mjs';
import { skipToContent, tabTo, typeInto } from '../lib/keyboard.mjs';
import { account, fillLogin, follow, logout, main, menuLink } from './common.mjs';

async function wrongPassword(j, kb, email) {
  await fillLogin(j, kb, email, 'pas-le-bon-mot-de-passe', { status: 401, label: 'mot de passe erroné' });
  const alert = main(j).getByRole('alert');
  check(await alert.count() === 1, 'mot de passe erroné : pas de message role="alert"');
  check(/mot de passe/i.test(await alert.innerText()), `mot de passe erroné : message peu clair « ${await alert.innerText()} »`);
  check(await j.page.locator('#email').inputValue() === email, 'mot de passe erroné : l\'adresse saisie n\'est pas gardée');
}

export async function authMouse(j, p) {
  const maire = account(p, 'maire@agassac.example');
  await j.step('accueil anonyme', async () => {
    await j.goto('/');
    check(await j.page.locator('h1').innerText() === 'Accueil', 'la page d\'accueil n\'a pas le titre « Accueil »');
  });
  await j.step('catalogue', async () => {
    await follow(j, false, menuLink(j, 'Catalogue des offres'), 'le lien « Catalogue des offres » du menu principal');
    const offer = main(j).locator('a[href^="/catalogue/"]').first();
    check(await offer.count() === 1, 'le catalogue ne lie aucune offre (/catalogue/{slug})');
    await follow(j, false, offer, 'la première offre du catalogue');
    check(/^\/catalogue\/[a-z0-9-]+$/.test(j.path()), `le lien d'offre mène à ${j.path()}`);
  });
  await j.step('page inexistante', async () => {
    await j.goto('/page-qui-n-existe-pas', { status: 404, label: 'erreur 404' });
    check(await main(j).getByRole('alert').count() === 1, 'la page d\'erreur 404 n\'a pas de message role="alert"');
    check(await main(j).getByRole('link', { name: 'Revenir à l\'accueil' }).count() === 1, 'la page d\'erreur n\'offre pas « Revenir à l\'accueil »');
  });
  await j.step('page protegee sans session', async () => {
    await j.goto('/demandes');
    check(/^\/connexion\?suite=(%2F|\/)demandes$/.test(j.path()), `/demandes sans session mène à ${j.path()} au lieu de /connexion?suite=/demandes`);
  });
  await j.step('mot de passe errone', () => wrongPassword(j, false, maire.email));
  await j.step('connexion vers la suite', async () => {
    await fillLogin(j, false, maire.email, maire.password);
    check(j.path() === '/demandes', `après connexion, la page est ${j.path()} au lieu de /demandes (suite)`);
  });
  await j.step('accueil connecte', async () => {
    await follow(j, false, menuLink(j, 'Accueil'), 'le lien « Accueil » du menu principal');
    check((await main(j).innerText()).includes('Bonjour Mairie d\'Agassac'), 'l\'accueil ne salue pas « Mairie d\'Agassac »');
    check(await menuLink(j, 'Accueil').getAttribute('aria-current') === 'page', 'le menu ne marque pas la page courante (aria-current="page")');
  });
  await j.step('deconnexion', () => logout(j, false));
  await j.step('session terminee', async () => {
    await j.goto('/demandes');
    check(j.path().startsWith('/connexion'), `après déconnexion, /demandes mène à ${j.path()} au lieu de /connexion`);
  });
}

export async function authKeyboard(j, p) {
  const chef = account(p, 'chef.caue31@appui.example');
  const page = j.page;
  await j.step('accueil anonyme', () => j.goto('/'));
  await j.step('lien d evitement', () => skipToContent(j));
  await j.step('vers la connexion', async () => {
    await follow(j, true, main(j).getByRole('link', { name: 'Se connecter', exact: true }), 'le lien « Se connecter » de l\'accueil');
    check(j.path() === '/connexion', `« Se connecter » mène à ${j.path()}`);
    const f = await page.evaluate(() => document.activeElement && document.activeElement.id);
    check(f === 'email', `à l'arrivée sur /connexion, le focus est sur « ${f} » et non sur le champ « Adresse électronique »`);
  });
  await j.step('mot de passe errone', () => wrongPassword(j, true, chef.email));
  await j.step('connexion', async () => {
    const pass = page.locator('#password');
    await tabTo(j, pass, 'le champ « Mot de passe »');
    await typeInto(j, pass, chef.password, 'le champ « Mot de passe »');
    await j.navigating(() => page.keyboard.press('Enter'));
    check(j.path() === '/', `après connexion, la page est ${j.path()} au lieu de /`);
  });
  await j.step('menu au clavier', async () => {
    await follow(j, true, menuLink(j, 'Catalogue des offres'), 'le lien « Catalogue des offres » du menu principal');
    check(j.path() === '/catalogue', `« Catalogue des offres » mène à ${j.path()}`);
  });
  await j.step('deconnexion', () => logout(j, true));
}
