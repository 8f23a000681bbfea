/**
 * Name similarity for duplicate detection: the shared edit distance and Jaro-Winkler, one
 * transposition, and a nickname table. Pure.
 */
import { editDistance as sharedEditDistance } from '../../shared/text-similarity.ts';

export { jaroWinkler } from '../../shared/text-similarity.ts';

/** Edits between `a` and `b`, counting at most to `max` (3 by default: beyond that, names differ). */
export const editDistance = (a: string, b: string, max = 3): number => sharedEditDistance(a, b, max);

/** True when `b` is `a` with exactly two neighbouring characters swapped ("smtih" / "smith"). */
export function isOneTransposition(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
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
