Feature: Supervision (督办)
  When a matter is handled in breach of the rules, with delay or shirking, or an opinion is not
  carried out, the petition bureau supervises it with a date for the unit's answer
  (《信访工作条例》 art. 40). Only a petition bureau, a joint conference or a discipline organ
  supervises.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05

  Scenario: The district bureau supervises the housing bureau in writing
    When 伊州区信访局 supervises case A by 书面督办 on 2026-05-10, answer due 2026-05-20
    Then case A has supervision no. 1 on 伊州区住房和城乡建设局, due 2026-05-20, not yet answered

  Scenario: The housing bureau answers the supervision
    Given 伊州区信访局 supervised case A by 书面督办 on 2026-05-10, answer due 2026-05-20
    When 伊州区住房和城乡建设局 answers supervision no. 1 on case A on 2026-05-15
    Then case A has supervision no. 1 on 伊州区住房和城乡建设局, due 2026-05-20, answered

  Scenario: The city bureau supervises a district matter
    When 哈密市信访局 supervises case A by 挂牌督办 on 2026-05-10, answer due 2026-05-25
    Then case A has supervision no. 1 on 伊州区住房和城乡建设局, due 2026-05-25, not yet answered

  Scenario: A department cannot supervise
    When 伊州区人力资源和社会保障局 supervises case A by 书面督办 on 2026-05-10, answer due 2026-05-20
    Then the step is refused with "supervision.not_supervisor"
    And nothing was recorded

  Scenario: Only the supervised unit answers
    Given 伊州区信访局 supervised case A by 书面督办 on 2026-05-10, answer due 2026-05-20
    When 伊州区人力资源和社会保障局 answers supervision no. 1 on case A on 2026-05-15
    Then the step is refused with "actor.not_supervised_unit"
    And nothing was recorded

  Scenario: The answer cannot be due on the day of the supervision
    When 伊州区信访局 supervises case A by 书面督办 on 2026-05-10, answer due 2026-05-10
    Then the step is refused with "supervision.due_in_past"
    And nothing was recorded
