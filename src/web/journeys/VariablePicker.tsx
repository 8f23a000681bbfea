import { Button, Menu, ScrollArea, Text } from '@mantine/core';
import { IconBraces } from '@tabler/icons-react';
import type { VariableContext } from './api.ts';
import { variableGroups } from './templateCheck.ts';

/** Inserts a {{variable}}; those the journeys sending this template cannot fill are shown but not offered. */
export function VariablePicker({ allowed, onPick }: { allowed: VariableContext[] | null; onPick: (name: string) => void }) {
  return (
    <Menu position="bottom-end" withinPortal={false} shadow="md" width={360}>
      <Menu.Target>
        <Button variant="light" size="xs" leftSection={<IconBraces size={14} aria-hidden />}>
          Insert variable
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <ScrollArea.Autosize mah={360} type="auto">
          {variableGroups(allowed).map((group) => (
            <div key={group.context}>
              <Menu.Label>{group.context}</Menu.Label>
              {group.variables.map((v) => (
                <Menu.Item
                  key={v.name}
                  disabled={!v.available}
                  onClick={() => onPick(v.name)}
                  title={v.available ? undefined : 'The journeys that send this template do not know this'}
                >
                  <Text fz="sm">{v.label}</Text>
                  <Text fz="xs" c="dimmed" ff="monospace">
                    {`{{${v.name}}}`} · {v.example}
                  </Text>
                </Menu.Item>
              ))}
            </div>
          ))}
        </ScrollArea.Autosize>
      </Menu.Dropdown>
    </Menu>
  );
}
