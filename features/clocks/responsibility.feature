Feature: Who had the case then (责任归属)
  A supervisor's second question: who held the case at that moment — the unit, its handler, its
  petition officer, the leader in charge and the head as they were then (from the organisation
  history, not today's office holders) — and how the days of a time limit split between them.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Scenario: A transfer in the middle of a supervision splits its days between the two units
    Given 伊州区信访局 registered case A on 2026-03-02
    And 哈密市信访局 supervised case A on 2026-03-03, the answer due on 2026-03-13
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-06
    When 伊州区信访局 answers the supervision of case A on 2026-03-11
    Then the 督办反馈期限 of case A spent 3 days with 伊州区信访局
    And the 督办反馈期限 of case A spent 5 days with 伊州区住房和城乡建设局
    And the 督办反馈期限 of case A was met

  Scenario: The head who was in post then, not today's
    Given 伊州区信访局 registered case A on 2026-02-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-02-03
    Then on 2026-02-20 case A was held by 伊州区住房和城乡建设局 with 王军 as head
    And on 2026-03-05 case A was held by 伊州区住房和城乡建设局 with 赵磊 as head
    And on 2026-02-20 the grid head of case A's location was 何平

  Scenario: A handler who changed posts: the case stays attributed to who held it then
    Given 伊州区信访局 registered case A on 2026-04-01
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-04-02
    And 伊州区住房和城乡建设局 signed for case A on 2026-04-03
    And 伊州区住房和城乡建设局 accepted case A on 2026-04-03
    And 伊州区住房和城乡建设局 assigned 李娜 to handle case A on 2026-04-07
    Then on 2026-05-20 case A was handled by 李娜 of 伊州区住房和城乡建设局
    And on 2026-06-15 case A had no handler in 伊州区住房和城乡建设局
