/**
 * String similarity for names typed by people: Damerau-Levenshtein (optimal string alignment) for
 * counting typos, Jaro-Winkler for names that are spelled alike, and a nickname table. Pure.
 */

/** Edits (insert, delete, substitute, swap two neighbours) between `a` and `b`; stops counting past `max`. */
export function editDistance(a: string, b: string, max = 3): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rolling rows of the optimal-string-alignment table: two back (for swaps), previous, current.
  let before = new Int32Array(b.length + 1);
  let previous = Int32Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length]!, max + 1);
}

/** True when `b` is `a` with exactly two neighbouring characters swapped ("smtih" / "smith"). */
export function isOneTransposition(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/** Jaro-Winkler similarity, 0 (nothing alike) to 1 (equal), favouring a shared beginning. */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return a.length ? 1 : 0;
  if (!a.length || !b.length) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  const m = matches;
  const jaro = (m / a.length + m / b.length + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  while (prefix < 4 && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

// Each line is one name and its common short forms; a name may appear in several lines (Alex, Pat).
const NICKNAME_GROUPS = `
william bill billy will willy liam|robert bob bobby rob robbie bert|elizabeth liz lizzie beth betty betsy eliza libby
richard rick ricky dick rich|james jim jimmy jamie|john jack johnny jon|jonathan jon jonny nathan
margaret maggie meg peggy marge greta|katherine catherine kathryn kate katie kathy cathy kat|michael mike mikey mick
thomas tom tommy|joseph joe joey|charles charlie chuck chas|edward ed eddie ted ned|christopher chris kit
christine christina chris chrissy tina|daniel dan danny|david dave davey|anthony tony|steven stephen steve
alexander alex al sandy xander|alexandra alex sandra sandy lexi|patricia pat patty tricia trish|patrick pat paddy
jennifer jen jenny|susan sue susie suzanne|deborah debra deb debbie|rebecca becky becca|samuel sam sammy
samantha sam sammy|benjamin ben benny|matthew matt|andrew andy drew|nicholas nick nicky|gregory greg
timothy tim timmy|kenneth ken kenny|ronald ron ronnie|donald don donny|lawrence larry|gerald gerry jerry
peter pete|frances fran frannie|francis frank frankie|victoria vicky tori|abigail abby|jacqueline jackie
dorothy dot dottie|barbara barb babs|jessica jess jessie|joshua josh|zachary zach zack|nathaniel nate nathan nat
raymond ray|walter walt wally|henry hank harry|harold hal harry|theodore ted teddy theo|eleanor ellie nora
helen nell nellie|mary molly polly mae|ann anne anna annie nancy|virginia ginny|cynthia cindy|judith judy
kimberly kim|pamela pam|teresa theresa terry tess|valerie val|vincent vince vinny|jeffrey jeff|douglas doug
phillip philip phil|leonard leo len lenny|eugene gene|albert al bert|allen alan al|frederick fred freddy
isabella isabel bella izzy|olivia liv livvy|sophia sophie|madeline madeleine maddie|gabriel gabe|gabrielle gabby
jose pepe|francisco paco pancho|guillermo memo|alejandro alex ale|roberto beto|eduardo lalo|enrique quique
ignacio nacho|jesus chucho chuy|dolores lola|manuel manny manolo|susana susy|josephine josie jo|joanne jo
`;

const NICKNAMES = new Map<string, Set<number>>();
NICKNAME_GROUPS.split(/[|\n]/)
  .map((line) => line.trim())
  .filter(Boolean)
  .forEach((line, group) => {
    for (const name of line.split(' ')) NICKNAMES.set(name, (NICKNAMES.get(name) ?? new Set()).add(group));
  });

/** True when two folded given names are one name and its short form (Bill / William, Liz / Elizabeth). */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return false;
  const ga = NICKNAMES.get(a);
  const gb = NICKNAMES.get(b);
  if (!ga || !gb) return false;
  for (const g of ga) if (gb.has(g)) return true;
  return false;
}
