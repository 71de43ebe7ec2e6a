-- One database per service (docker-compose.yml mounts this into PostgreSQL's init folder).
CREATE DATABASE assemblies;
CREATE DATABASE batches;
CREATE DATABASE generator;
CREATE DATABASE delivery;
CREATE DATABASE documents;
CREATE DATABASE gateway;
