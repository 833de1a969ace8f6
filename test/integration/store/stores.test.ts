import { createPgliteDb, createTestDb } from '../../helpers/db';
import { storeSuite } from './store-suite';

storeSuite('PostgreSQL', createTestDb);
storeSuite('PGlite', createPgliteDb);
