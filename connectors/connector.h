/* connector — entry point of the connectors library: the registry of
 * external systems appui keeps in step (filled by later issues). */
#ifndef APPUI_CONNECTOR_H
#define APPUI_CONNECTOR_H

/* Number of connector kinds built in (none yet). */
int connector_count(void);

#endif
