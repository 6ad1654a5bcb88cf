//! `infra/smoke-test.sh` (and so `genoflow smoke-test`) against the functions on moto's S3,
//! DynamoDB and SQS (`AWS_ENDPOINT_URL`, `tests/with-moto.sh`), wired the way the SAM template
//! wires them:
//!
//! - an HTTP server on 127.0.0.1 stands in for API Gateway: each request becomes an HTTP API
//!   (payload 2.0) event for the presign function (`/auth/…`, `/uploads…`) or the api function
//!   (the rest), and their answer goes back as the HTTP response;
//! - the bucket notifies `s3:ObjectCreated:*` under `uploads/` to a validation queue, which a
//!   poller hands to the validate function, and the analysis queue to the analyze function, as
//!   Lambda's pollers do (deleted when handled, made visible again when listed as failed);
//! - the script gets the "stack outputs" as a JSON file (`ApiUrl`, `StacksNetwork`), as it
//!   would from `aws cloudformation describe-stacks`.
//!
//! The presigned PUTs go to moto itself, so the upload path is S3's.

#![allow(clippy::unwrap_used)]

use std::{process::Command, sync::Arc};

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use axum::{body::Body, extract::Request, response::Response};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use genoflow_aws::{
    config,
    lambda::{
        Adapters,
        http::HttpEvent,
        sqs::{failed_ids, poll_once},
    },
    setup::{ResourceNames, create_resources},
};
use genoflow_core::ports::{Clock, HmacSecret, HmacTokenSigner, Metric, SystemClock};
use genoflow_function_analyze::Analyze;
use genoflow_function_api::Api;
use genoflow_function_presign::Presign;
use genoflow_function_validate::Validate;
use genoflow_local::metrics::PrometheusMetrics;
use genoflow_stacks::transaction::Network;
use serde_json::{Value, json};

struct Functions {
    presign: Presign,
    api: Api,
    validate: Validate,
    analyze: Analyze,
}

/// An HTTP request as API Gateway's HTTP API hands it to a function.
async fn http_event(request: Request) -> HttpEvent {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20).await.unwrap();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                Value::from(value.to_str().unwrap_or_default()),
            )
        })
        .collect();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let parameters: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), Value::from(value.into_owned())))
        .collect();
    serde_json::from_value(json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": parameters,
        "requestContext": {
            "stage": "$default",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "http": {"method": parts.method.as_str(), "path": parts.uri.path()},
        },
        "body": STANDARD.encode(&body),
        "isBase64Encoded": true,
    }))
    .unwrap()
}

/// A function's answer as the HTTP response API Gateway sends.
fn http_response(answer: impl serde::Serialize) -> Response {
    let answer = serde_json::to_value(answer).unwrap();
    let mut response = Response::builder().status(answer["statusCode"].as_u64().unwrap() as u16);
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        response = response.header(name.as_str(), value.as_str().unwrap());
    }
    let body = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"] == true {
        STANDARD.decode(body).unwrap()
    } else {
        body.as_bytes().to_vec()
    };
    response.body(Body::from(body)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto at AWS_ENDPOINT_URL (tests/with-moto.sh; tests/run-all.sh's end-to-end step)"]
async fn the_smoke_test_script_signs_in_uploads_the_tb_demo_pair_and_gets_its_report() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL must point at moto's server (tests/with-moto.sh)"
    );
    let sdk = config::load().await;
    let prefix = format!("smoke-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix))
        .await
        .unwrap();

    // The template's S3 -> validation queue notification.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let validation_url = resources.validation_queue_url.clone().unwrap();
    let validation_arn = sqs
        .get_queue_attributes()
        .queue_url(&validation_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let uploads_only = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(&resources.bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(validation_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .filter(uploads_only)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let Adapters {
        table,
        blobs,
        queue,
        ..
    } = Adapters::new(sdk.clone(), &resources);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let routes = genoflow_function_api::Ports {
        table: table.clone(),
        blobs: blobs.clone(),
        clock: clock.clone(),
        tokens: Arc::new(HmacTokenSigner::new(
            HmacSecret::new(b"smoke-test-secret-0123456789abcdef0123".to_vec()).unwrap(),
        )),
    };
    // The handlers' business metrics, counted as `genoflow serve --metrics` counts them.
    let metrics = Arc::new(PrometheusMetrics::default());
    let functions = Arc::new(Functions {
        presign: Presign::new(
            routes.clone(),
            Network::Testnet,
            time::Duration::hours(1),
            Default::default(),
        ),
        api: Api::new(routes),
        validate: Validate::new(genoflow_function_validate::Ports {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
        })
        .with_metrics(metrics.clone()),
        analyze: Analyze::new(genoflow_function_analyze::Ports {
            table,
            blobs,
            queue,
            clock,
        })
        .with_metrics(metrics.clone()),
    });

    // API Gateway.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let gateway = functions.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let functions = gateway.clone();
        async move {
            let presign = matches!(
                request.uri().path().split('/').nth(1),
                Some("auth" | "uploads")
            );
            let event = http_event(request).await;
            if presign {
                http_response(functions.presign.handle(event).await)
            } else {
                http_response(functions.api.handle(event).await)
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // Lambda's pollers.
    let pollers = functions.clone();
    let analysis_url = resources.analysis_queue_url.clone();
    let poller = tokio::spawn(async move {
        loop {
            let functions = &*pollers;
            poll_once(&sqs, &validation_url, 1, |event| async move {
                failed_ids(&functions.validate.handle_queue(&event).await)
            })
            .await
            .unwrap();
            poll_once(&sqs, &analysis_url, 1, |event| async move {
                failed_ids(&functions.analyze.handle(&event).await)
            })
            .await
            .unwrap();
        }
    });

    // The stack's outputs, as describe-stacks prints them.
    let outputs = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        outputs.path(),
        json!([
            {"OutputKey": "ApiUrl", "OutputValue": api_url},
            {"OutputKey": "StacksNetwork", "OutputValue": "testnet"},
        ])
        .to_string(),
    )
    .unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let script = repo.join("infra/smoke-test.sh");
    let outputs_path = outputs.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(script)
            .arg("--outputs")
            .arg(outputs_path)
            .args(["--timeout", "300", "--poll", "0.2"])
            .env("GENOFLOW_BIN", env!("CARGO_BIN_EXE_genoflow"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    poller.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for step in [
        "ok   GET /health",
        "ok   POST /auth/login as ST",
        "ok   POST /uploads and 2 presigned PUTs",
        "is analyzed",
        "resistant to Ethionamide, Isoniazid, Pyrazinamide, Rifampicin",
        "smoke test passed",
    ] {
        assert!(
            stdout.contains(step),
            "{step:?} missing:\n{stdout}\n{stderr}"
        );
    }
    println!("{stdout}");

    // Nothing left behind: S3's test event and both notifications were taken off the
    // validation queue (the test event as an object outside uploads/), nothing dead-lettered.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for url in [
        resources.validation_queue_url.clone().unwrap(),
        format!("{}-dlq", resources.validation_queue_url.clone().unwrap()),
        format!("{}-dlq", resources.analysis_queue_url),
    ] {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        for count in attributes.values() {
            assert_eq!(count, "0", "{url}: {attributes:?}");
        }
    }

    // Two files validated, one sample analysed: counted once each, whatever the redeliveries.
    assert_eq!(metrics.value(Metric::DatasetsValidated), 2.0);
    assert_eq!(metrics.value(Metric::DatasetsInvalid), 0.0);
    assert_eq!(metrics.observations(Metric::AnalysisDuration), 1);
    let text = metrics.render();
    assert!(
        text.contains("genoflow_datasets_validated_total 2\n"),
        "{text}"
    );
    assert!(
        text.contains("genoflow_analysis_duration_seconds_count 1\n"),
        "{text}"
    );

    // A wrong network's signature is refused at sign-in, and the script says which step failed.
    let outputs_path = outputs.path().to_owned();
    let refused = Command::new("bash")
        .arg(repo.join("infra/smoke-test.sh"))
        .args(["--outputs".as_ref(), outputs_path.as_os_str()])
        .args(["--network", "mainnet", "--timeout", "5"])
        .env("GENOFLOW_BIN", env!("CARGO_BIN_EXE_genoflow"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("smoke test FAILED: POST /auth/login answered 401"),
        "{stdout}"
    );
}

#[test]
fn without_an_api_url_the_script_says_how_to_give_one() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let outputs = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        outputs.path(),
        r#"[{"OutputKey": "BucketName", "OutputValue": "b"}]"#,
    )
    .unwrap();
    let output = Command::new("bash")
        .arg(repo.join("infra/smoke-test.sh"))
        .arg("--outputs")
        .arg(outputs.path())
        .env("GENOFLOW_BIN", env!("CARGO_BIN_EXE_genoflow"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no ApiUrl: pass --api-url"), "{stderr}");
}
