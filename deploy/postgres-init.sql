-- One database per service (DESIGN.md: no service reads another's tables).
-- Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d), as POSTGRES_USER,
-- who therefore owns them. Names match the <SERVICE>_DATABASE_URL values in docker-compose.yml.
CREATE DATABASE members;
CREATE DATABASE partners;
CREATE DATABASE orders;
CREATE DATABASE events;
