// A Backstage backend with only the catalog plugin, for paved's provider
// integration tests. Started by the Go test harness
// (test/backstagetest) as
//
//   node index.js --config app-config.yaml
//
// with APP_CONFIG_backend_listen_port and BACKSTAGE_TEST_* variables set.
'use strict';

const { createBackend } = require('@backstage/backend-defaults');

const backend = createBackend();
backend.add(require('@backstage/plugin-catalog-backend'));
backend.start().catch(err => {
  console.error(err);
  process.exit(1);
});
