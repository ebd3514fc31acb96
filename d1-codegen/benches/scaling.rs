//! Generation time against spec size: the whole in-memory pipeline (`d1_codegen::generate`:
//! load, lower, name, describe, emit the three crates) on synthetic specs of 2 to 128 "units" (4 to 230 kB),
//! each unit a described object schema with an enum, a bounded string and a reference, and a
//! path with a list (query parameters) and a create (JSON body) operation. Throughput is in
//! spec bytes per second, so cost linear in size shows as the same throughput at every size.
//! No `pattern`s: the pattern compiler has its own benchmarks' worth of cost and is left out.
//!
//! `cargo bench -p d1-codegen --bench scaling`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use d1_codegen::emit::Options;
use d1_codegen::load::SourceFile;
use serde_json::{json, Map, Value};

fn unit(i: usize, schemas: &mut Map<String, Value>, paths: &mut Map<String, Value>) {
    let name = format!("Resource{i}");
    let previous = format!("#/components/schemas/Resource{}", i.saturating_sub(1));
    schemas.insert(
        name.clone(),
        json!({
            "type": "object",
            "description": format!("Resource number {i}: a thing the API lists and creates, described in a sentence or two like real specs do."),
            "required": ["id", "state"],
            "properties": {
                "id": { "type": "string", "maxLength": 64, "description": "The resource's identifier, unique within the account." },
                "state": { "type": "string", "enum": ["ACTIVE", "SUSPENDED", "DELETED"], "description": "Where the resource is in its life." },
                "displayName": { "type": "string", "description": "A name for people to read." },
                "count": { "type": "integer", "format": "int32", "minimum": 0, "maximum": 1000 },
                "ratio": { "type": "number" },
                "labels": { "type": "object", "additionalProperties": { "type": "string" } },
                "tags": { "type": "array", "items": { "type": "string" } },
                "parent": { "$ref": previous, "description": "The resource this one belongs to." }
            }
        }),
    );
    let reference = format!("#/components/schemas/{name}");
    paths.insert(
        format!("/accounts/{{accountId}}/resources{i}"),
        json!({
            "get": {
                "summary": format!("List resources of kind {i}"),
                "parameters": [
                    { "name": "accountId", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "pageSize", "in": "query", "schema": { "type": "integer", "format": "int32" } },
                    { "name": "pageToken", "in": "query", "schema": { "type": "string" } }
                ],
                "responses": {
                    "200": { "description": "The resources.", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": reference } } } } },
                    "404": { "description": "No such account." }
                }
            },
            "post": {
                "summary": format!("Create a resource of kind {i}"),
                "parameters": [ { "name": "accountId", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": reference } } } },
                "responses": {
                    "201": { "description": "Created.", "content": { "application/json": { "schema": { "$ref": reference } } } },
                    "400": { "description": "Invalid resource." }
                }
            }
        }),
    );
}

fn spec(units: usize) -> SourceFile {
    let (mut schemas, mut paths) = (Map::new(), Map::new());
    for i in 0..units {
        unit(i, &mut schemas, &mut paths);
    }
    let document = json!({
        "openapi": "3.0.3",
        "info": { "title": "Scaling", "version": "1" },
        "servers": [ { "url": "https://api.example.com/v1" } ],
        "paths": paths,
        "components": { "schemas": schemas }
    });
    SourceFile { path: "specs/scaling.json".to_string(), text: document.to_string() }
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    let options = Options::default();
    for units in [2, 8, 32, 128] {
        let files = [spec(units)];
        group.throughput(Throughput::Bytes(files[0].text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(units), &files, |b, files| {
            b.iter(|| d1_codegen::generate(files, &options).expect("the synthetic spec generates"))
        });
    }
    group.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
