import assert from 'node:assert/strict';

/** A reading of iCalendar text for tests, checking what RFC 5545 asks of a writer on the way. */

export type Prop = { name: string; params: Record<string, string>; value: string };
export type Component = { name: string; props: Prop[]; children: Component[] };

/** Reads iCalendar text as RFC 5545 says a reader must: CRLF lines of at most 75 octets, unfolded. */
export function parseIcs(text: string): Component {
  assert.ok(text.endsWith('\r\n'), 'the last line ends in CRLF');
  assert.ok(!/[^\r]\n/.test(text), 'no bare LF');
  const physical = text.slice(0, -2).split('\r\n');
  for (const line of physical) assert.ok(Buffer.byteLength(line) <= 75, `line over 75 octets: ${line}`);
  const lines: string[] = [];
  for (const line of physical) {
    if (line.startsWith(' ')) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }
  const root: Component = { name: '', props: [], children: [] };
  const stack = [root];
  for (const line of lines) {
    const colon = line.search(/:(?=(?:[^"]*"[^"]*")*[^"]*$)/);
    const [head, value] = [line.slice(0, colon), line.slice(colon + 1)];
    const [name, ...params] = head.split(';');
    const top = stack[stack.length - 1]!;
    if (name === 'BEGIN') {
      const child: Component = { name: value, props: [], children: [] };
      top.children.push(child);
      stack.push(child);
    } else if (name === 'END') {
      assert.equal(top.name, value, 'components nest properly');
      stack.pop();
    } else {
      top.props.push({ name: name!, params: Object.fromEntries(params.map((p) => p.split('=') as [string, string])), value });
    }
  }
  assert.equal(stack.length, 1, 'every BEGIN has its END');
  assert.equal(root.children.length, 1);
  assert.equal(root.children[0]!.name, 'VCALENDAR');
  return root.children[0]!;
}

export const prop = (c: Component, name: string) => c.props.find((p) => p.name === name);
export const value = (c: Component, name: string) => prop(c, name)?.value;
