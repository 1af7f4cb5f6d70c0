// common — moves shared by the journeys, each done with the mouse or with
// the keyboard only (kb): following a link, the main menu, logging in and
// out. Labels are those of CONTRACT.md and of the layout.
import { check } from '../lib/harness.mjs';
import { focused, tabTo, typeInto } from '../lib/keyboard.mjs';

export function main(j) {
  return j.page.locator('main#contenu');
}

export function menuLink(j, label) {
  return j.page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: label, exact: true });
}

// Activates `locator` (a link or a submit button) that loads a new page:
// a click, or Tab to it then Enter. Checks the new page (status, axe).
export async function follow(j, kb, locator, what, opts = {}) {
  if (kb) {
    await tabTo(j, locator, what);
    return j.navigating(() => j.page.keyboard.press('Enter'), opts);
  }
  const n = await locator.count();
  check(n === 1, `${what} : ${n} élément(s) trouvé(s) au lieu d'un sur ${j.path()}`);
  return j.navigating(() => locator.click(), opts);
}

// Sends a form with its submit button `locator` (click, or Tab then Enter);
// see Journey.submit (plain or htmx form).
export async function send(j, kb, locator, what, prefix, opts = {}) {
  if (kb) {
    await tabTo(j, locator, what);
    const r = await j.submit(() => j.page.keyboard.press('Enter'), prefix, opts);
    if (!r.navigated) {
      // After an htmx swap, the keyboard user must not be sent back to the
      // top of the page (web/static/appui.js keeps or moves the focus).
      await j.page.waitForTimeout(300);
      const f = await focused(j.page);
      check(!f.none, `${j.name} › ${j.path()} : focus perdu (retour au début de la page) après ${what} (mise à jour htmx)`);
    }
    return r;
  }
  const n = await locator.count();
  check(n === 1, `${what} : ${n} élément(s) trouvé(s) au lieu d'un sur ${j.path()}`);
  return j.submit(() => locator.click(), prefix, opts);
}

// Fills the field `locator` (fill, or Tab to it and type).
export async function fillField(j, kb, locator, text, what) {
  if (kb) {
    await tabTo(j, locator, what);
    await typeInto(j, locator, text, what);
  } else {
    const n = await locator.count();
    check(n === 1, `${what} : ${n} élément(s) trouvé(s) au lieu d'un sur ${j.path()}`);
    await locator.fill(text);
  }
}

export function field(j, label) {
  return j.page.getByLabel(label, { exact: false });
}

// Logs in from the login page the browser is on (fields « Adresse
// électronique », « Mot de passe », button « Se connecter »).
export async function fillLogin(j, kb, email, password, opts = {}) {
  const page = j.page;
  const mail = page.locator('#email');
  const pass = page.locator('#password');
  check(await page.getByLabel('Adresse électronique', { exact: true }).count() === 1, 'connexion : pas de champ libellé « Adresse électronique »');
  check(await page.getByLabel('Mot de passe', { exact: true }).count() === 1, 'connexion : pas de champ libellé « Mot de passe »');
  if (kb) {
    const emailNow = await mail.inputValue();
    if (emailNow !== email) {
      await tabTo(j, mail, 'le champ « Adresse électronique »');
      await page.keyboard.press('Control+A');
      await typeInto(j, mail, email, 'le champ « Adresse électronique »');
    }
    await tabTo(j, pass, 'le champ « Mot de passe »', { back: await pass.evaluate(el => !!(el.compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING)) });
    await typeInto(j, pass, password, 'le champ « Mot de passe »');
    return j.navigating(() => page.keyboard.press('Enter'), opts);
  }
  await page.getByLabel('Adresse électronique', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  return j.navigating(() => page.getByRole('button', { name: 'Se connecter', exact: true }).click(), opts);
}

// From any page while signed out: the menu's « Se connecter », then the form.
export async function login(j, kb, account, opts = {}) {
  await follow(j, kb, menuLink(j, 'Se connecter'), 'le lien « Se connecter » du menu principal');
  check(j.path().startsWith('/connexion'), `« Se connecter » mène à ${j.path()} au lieu de /connexion`);
  await fillLogin(j, kb, account.email, account.password, opts);
}

// « Se déconnecter » (header): back to /connexion, signed out.
export async function logout(j, kb) {
  await follow(j, kb, j.page.getByRole('button', { name: 'Se déconnecter', exact: true }), 'le bouton « Se déconnecter »');
  check(j.path().startsWith('/connexion'), `après « Se déconnecter », la page est ${j.path()} au lieu de /connexion`);
  check(await menuLink(j, 'Se connecter').count() === 1, 'après « Se déconnecter », le menu ne propose pas « Se connecter »');
}

export function account(p, email) {
  const a = p.accounts.get(email);
  check(a, `compte de démonstration ${email} absent de la sortie de « appui demo » (comptes : ${[...p.accounts.keys()].join(', ')})`);
  return a;
}
