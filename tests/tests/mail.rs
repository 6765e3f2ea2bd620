//! E-mail transport: delivered to a real SMTP listener when one answers, written to `.eml` files
//! when none does.

use lettre::Message;
use workout_notifications::mail::Mailer;
use workout_tests::smtp::SmtpSink;

fn message(subject: &str) -> Message {
    Message::builder()
        .from("Workout platform <noreply@workout.test>".parse().unwrap())
        .to("Credit Officer <officer@bank-a.test>".parse().unwrap())
        .subject(subject)
        .body("Your case has moved to the workout unit.".to_owned())
        .unwrap()
}

#[tokio::test]
async fn mail_goes_to_the_local_smtp_server_when_it_answers() {
    let sink = SmtpSink::start().await;
    let dir = std::env::temp_dir().join(format!("wt-mail-{}", uuid::Uuid::new_v4()));
    let mailer = Mailer::choose(None, ("127.0.0.1", sink.port), dir.clone()).unwrap();
    assert!(matches!(mailer, Mailer::Smtp(_)), "{mailer:?}");
    mailer.send(message("Notice of transfer")).await.unwrap();
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["officer@bank-a.test"]);
    assert!(received[0].data.contains("Subject: Notice of transfer"));
    assert!(!dir.exists(), "no files when SMTP answers");
}

#[tokio::test]
async fn mail_is_written_to_files_when_no_smtp_server_answers() {
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("wt-mail-{}", uuid::Uuid::new_v4()));
    let mailer = Mailer::choose(None, ("127.0.0.1", free_port), dir.clone()).unwrap();
    assert!(matches!(mailer, Mailer::Files(..)), "{mailer:?}");
    mailer.send(message("Notice of transfer")).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("Subject: Notice of transfer"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}
