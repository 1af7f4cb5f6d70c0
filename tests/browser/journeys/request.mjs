export async function requestJourney() { throw new Error("à écrire"); }
